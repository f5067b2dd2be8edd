/**
 * The confirmation step for a destructive or paid action, without client
 * JavaScript: the row's link (GET) shows this page, whose form posts the
 * action itself; Cancel goes back. The post is the same route it always was.
 */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { Form } from './layout';
import { renderPage } from './page-app';
import type { NavTab, PageEnv } from './page-env';

export interface Confirmation {
  title: string;
  tab?: NavTab;
  /** What is about to happen, and what it means ("Delete Launch site?"). */
  question: string;
  body: Child;
  /** Where the form posts. */
  action: string;
  button: string;
  /** Where Cancel goes. */
  cancel: string;
  /** The button's look: a deletion is red, a purchase is not. */
  danger?: boolean;
  /** Hidden fields the post carries (the role chosen, the seats and proration date quoted). */
  fields?: Record<string, string>;
}

export function confirmPage<E extends PageEnv>(c: Context<E>, p: Confirmation): Promise<Response> {
  return renderPage(
    c,
    { title: p.title, tab: p.tab },
    <section class="card confirm" aria-labelledby="confirm-heading">
      <h1 id="confirm-heading">{p.question}</h1>
      {p.body}
      <Form csrf={c.get('csrfToken')} action={p.action} label={p.button}>
        {Object.entries(p.fields ?? {}).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <div class="actions">
          <button type="submit" class={p.danger === false ? undefined : 'danger'} autofocus>
            {p.button}
          </button>
          <a class="button secondary" href={p.cancel}>
            Cancel
          </a>
        </div>
      </Form>
    </section>,
  );
}
