/**
 * The experiments. Each states its hypothesis, puts lab tenants in a known
 * state, injects one fault into the running stack while the steady workload
 * runs, removes it, and returns what it saw. The runner (run.ts) measures the
 * steady state before, the recovery after, and checks the invariants.
 */
import type { PulledEvent } from '../../tools/stripe-emulator/server.ts';
import type { Answer } from './client.ts';
import { sleep, type Harness } from './harness.ts';
import { d1SeatHolders, readD1, readObjects, type D1State } from './observe.ts';
import type { TenantActor } from './workload.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Injection {
  fault: string;
  startedAt: number;
  /** When the fault was removed (or the killed process answered again). */
  endedAt: number;
  figures: Record<string, string | number>;
  /** The hypothesis' own predictions, beyond the invariants. */
  checks: Check[];
}

export interface Experiment {
  id: string;
  title: string;
  /** Part of the short CI subset (`--quick`). */
  quick: boolean;
  hypothesis: string;
  /** How long the invariants may take to hold again after the fault ends. */
  convergeTimeoutMs?: number;
  inject(h: Harness): Promise<Injection>;
}

const statusesOf = (answers: readonly Answer[]) => {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = a.status === 0 ? 'no answer' : String(a.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([status, n]) => `${n}×${status}`).join(', ') || 'none';
};

const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });

/** A 5xx must still be the contract's error shape: `{error:{code,message}}`. */
const shaped = (a: Answer) => typeof (a.body.error as { code?: unknown } | undefined)?.code === 'string';

function subscriptionUpdates(d1: D1State, tenantIds: readonly string[], afterAuditId: number) {
  return d1.audit.filter((a) => a.action === 'subscription.updated' && tenantIds.includes(a.tenantId) && a.id > afterAuditId);
}

const lastAuditId = (d1: D1State) => d1.audit.at(-1)?.id ?? 0;

/** Posts held events in the given order with fresh signatures; returns the answers. */
async function deliverAll(h: Harness, events: readonly PulledEvent[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const event of events) answers.push(await h.deliver(event));
  return answers;
}

async function heldSince(h: Harness, cursor: number): Promise<PulledEvent[]> {
  return (await h.controls.emulatorEvents(cursor)).events;
}

// ------------------------------------------------------------------ experiments

const workerKill: Experiment = {
  id: 'worker-sigkill',
  title: 'Worker process killed (SIGKILL) mid-burst, then restarted',
  quick: false,
  hypothesis:
    'D1 and Durable Object state persisted before the kill survives it; webhooks refused while the Worker is down are retried by Stripe; queue messages in flight die with workerd, and the cron\'s sweeper re-enqueues their stored events once they are older than its 2-minute grace, so every event ends processed.',
  convergeTimeoutMs: 240_000,
  async inject(h) {
    const fresh = await Promise.all([h.labTenant(), h.labTenant()]);
    const paid = await Promise.all([h.paidTenant(3), h.paidTenant(3)]);
    const startedAt = Date.now();
    const burst = Promise.all([
      ...fresh.map((t) => h.buy(t, 4)),
      ...paid.map((t, i) => h.api(t, 'POST', '/billing/seats', { quantity: 5 + i })),
      ...paid.map((t) => h.portalSeatChange(t, 9).then(() => undefined, () => undefined)),
    ]);
    await sleep(500);
    const d1Before = readD1(h.stack.d1File());
    const objectsBefore = readObjects(h.stack);
    await h.stack.killWorker();
    const killedAt = Date.now();
    await h.workload.pause();
    const burstAnswers = (await burst).filter((a): a is Answer => a !== undefined);
    await sleep(1000);
    const restartMs = await h.stack.startWorker();
    const endedAt = Date.now();
    const d1After = readD1(h.stack.d1File());
    const objectsAfter = readObjects(h.stack);
    h.workload.resume();

    const afterAudit = new Set(d1After.audit.map((a) => a.id));
    const afterEvents = new Set(d1After.stripeEvents.map((e) => e.id));
    const lostAudit = d1Before.audit.filter((a) => !afterAudit.has(a.id));
    const lostEvents = d1Before.stripeEvents.filter((e) => !afterEvents.has(e.id));
    const holdersAfter = new Set(objectsAfter.flatMap((o) => o.holders.map((x) => `${o.tenantId}/${x.holder}`)));
    const lostHolders = objectsBefore.flatMap((o) => o.holders.map((x) => `${o.tenantId}/${x.holder}`)).filter((k) => !holdersAfter.has(k));
    const stranded = d1After.stripeEvents.filter((e) => e.processedAt === null && e.deadAt === null);
    await h.deliveriesSettled(60_000).catch(() => undefined);
    const refusedWhileDown = (await h.controls.deliveries()).filter((d) => d.attempts.some((a) => Date.parse(a.at) >= killedAt && Date.parse(a.at) < endedAt && a.status === undefined));
    return {
      fault: `SIGKILL to the process group of wrangler dev (wrangler, workerd, esbuild) ${killedAt - startedAt} ms into a burst of ${fresh.length} checkouts, ${paid.length} seat changes and ${paid.length} portal seat changes, with the steady workload running; restarted 1 s later on the same persisted state`,
      startedAt,
      endedAt,
      figures: {
        'restart to first /healthz (ms)': restartMs,
        'down time (ms)': endedAt - killedAt,
        'burst answers': statusesOf(burstAnswers),
        'audit rows before the kill': d1Before.audit.length,
        'Stripe events stored before the kill': d1Before.stripeEvents.length,
        'seat holders in objects before the kill': objectsBefore.reduce((n, o) => n + o.holders.length, 0),
        'events stored but unprocessed right after the restart (their queue messages died with workerd)': stranded.length,
        'webhook deliveries that found the Worker down': refusedWhileDown.length,
      },
      checks: [
        check('D1 rows written before the kill survive', lostAudit.length === 0 && lostEvents.length === 0, `${lostAudit.length} audit rows and ${lostEvents.length} Stripe events missing after the restart`),
        check('Durable Object seats survive', lostHolders.length === 0, lostHolders.length ? `missing: ${lostHolders.slice(0, 5).join(', ')}` : `${holdersAfter.size} holders present`),
        check('webhooks that found the Worker down were delivered later', refusedWhileDown.every((d) => d.state === 'succeeded'), `${refusedWhileDown.filter((d) => d.state === 'succeeded').length} of ${refusedWhileDown.length} delivered`),
      ],
    };
  },
};

const stripeDown: Experiment = {
  id: 'stripe-down',
  title: 'Stripe unreachable during checkouts and the consumer\'s reads',
  quick: false,
  hypothesis:
    'With the network to Stripe down, checkouts and seat changes answer 503 `unavailable` and write nothing; webhooks are still stored (200), the consumer retries its Stripe reads with backoff, and everything applies once Stripe answers again.',
  async inject(h) {
    const fresh = await Promise.all([h.labTenant(), h.labTenant()]);
    const paid = await h.paidTenant(3);
    const downMs = h.quick ? 4000 : 6000;
    const startedAt = Date.now();
    await h.stack.proxy?.down();
    // A change made in the portal: its webhook reaches the app, whose read of Stripe then fails.
    await h.portalSeatChange(paid, 7);
    const [checkouts, seatChange] = await Promise.all([Promise.all(fresh.map((t) => h.buy(t, 4))), h.api(paid, 'POST', '/billing/seats', { quantity: 8 })]);
    await sleep(Math.max(0, downMs - (Date.now() - startedAt)));
    await h.stack.proxy?.up();
    const endedAt = Date.now();
    const d1 = readD1(h.stack.d1File());
    const customersWritten = fresh.filter((t) => d1.subscriptions.find((s) => s.tenantId === t.id)?.stripeCustomerId);
    const retry = await h.buy(fresh[0] as TenantActor, 4);
    const refused = [...checkouts, seatChange];
    return {
      fault: `the TCP relay between the Worker and Stripe closed for ${downMs} ms (connections refused and cut), during ${fresh.length} checkouts, an app seat change and a portal seat change whose webhook needs a Stripe read`,
      startedAt,
      endedAt,
      figures: { 'answers while down': statusesOf(refused), 'checkout after Stripe is back': retry.status },
      checks: [
        check('users get 503 unavailable, not 500', refused.every((a) => a.status === 503 && shaped(a)), statusesOf(refused)),
        check('nothing written for the refused checkouts', customersWritten.length === 0, `${customersWritten.length} Stripe customers stored`),
        check('a checkout works once Stripe is back', retry.status === 200, `status ${retry.status}`),
      ],
    };
  },
};

const stripeSlow: Experiment = {
  id: 'stripe-slow',
  title: 'Stripe answering after 3 s',
  quick: false,
  hypothesis: 'Seconds of Stripe latency slow checkouts and the consumer down but fail nothing: every call stays inside the SDK\'s 10 s timeout.',
  async inject(h) {
    const fresh = await h.labTenant();
    const paid = await h.paidTenant(3);
    const startedAt = Date.now();
    await h.controls.setStripeFaults({ latencyMs: 3000 });
    await h.portalSeatChange(paid, 6).catch(() => undefined);
    const [checkout, seats] = await Promise.all([h.buy(fresh, 4), h.api(paid, 'POST', '/billing/seats', { quantity: 7 })]);
    await h.controls.setStripeFaults({ latencyMs: 0 });
    const endedAt = Date.now();
    const billingOps = h.workload.since(startedAt, endedAt).filter((r) => r.kind === 'checkout' || r.kind === 'seats');
    return {
      fault: '3000 ms added to every Stripe API answer (emulator `latencyMs`) during a checkout, a seat change and a portal change',
      startedAt,
      endedAt,
      figures: { 'checkout (ms)': Math.round(checkout.ms), 'seat change (ms)': Math.round(seats.ms), 'workload billing calls': billingOps.length },
      checks: [
        check('the checkout succeeds, slowly', checkout.status === 200, `status ${checkout.status} after ${Math.round(checkout.ms)} ms`),
        check('the seat change succeeds', seats.status === 202, `status ${seats.status}`),
        check('no workload billing call failed', billingOps.every((r) => r.outcome !== 'failed'), `${billingOps.filter((r) => r.outcome === 'failed').length} failed`),
      ],
    };
  },
};

const stripeErrors: Experiment = {
  id: 'stripe-errors',
  title: 'Stripe answering 500, then 429',
  quick: false,
  hypothesis:
    'Stripe\'s 500s and 429s are retried by the SDK; what outlasts its retries reaches users as 503 `unavailable` (never 500) and the consumer as a retry with backoff; nothing is half-written and billing converges.',
  async inject(h) {
    const fresh = await Promise.all([h.labTenant(), h.labTenant()]);
    const paid = await h.paidTenant(3);
    const startedAt = Date.now();
    const answers: Answer[] = [];
    for (const status of [500, 429] as const) {
      await h.controls.setStripeFaults({ failNext: 6, status });
      await h.portalSeatChange(paid, status === 500 ? 6 : 7).catch(() => undefined);
      answers.push(await h.buy(fresh[status === 500 ? 0 : 1] as TenantActor, 4), await h.api(paid, 'POST', '/billing/seats', { quantity: status === 500 ? 8 : 9 }));
    }
    await h.controls.setStripeFaults({ failNext: 0 });
    const endedAt = Date.now();
    const billingOps = [...answers, ...h.workload.since(startedAt, endedAt).filter((r) => r.kind === 'checkout' || r.kind === 'seats').map((r) => ({ status: r.status }))];
    return {
      fault: 'the next 6 Stripe API calls fail with 500 (`api_error`), then the next 6 with 429 (`rate_limit`), during checkouts, seat changes and portal changes',
      startedAt,
      endedAt,
      figures: { 'lab answers': statusesOf(answers) },
      checks: [
        check('no billing call answered 500', billingOps.every((a) => a.status !== 500), `${billingOps.filter((a) => a.status === 500).length} × 500`),
        check('refusals are the contract\'s 503', answers.filter((a) => a.status >= 500).every(shaped), statusesOf(answers)),
      ],
    };
  },
};

const webhookStorm: Experiment = {
  id: 'webhook-storm',
  title: 'Webhook storm: duplicated, reordered, delayed past the next event, replayed days later',
  quick: true,
  hypothesis:
    'Events delivered twice, in reverse order, after the event that followed them, or again days later change nothing beyond Stripe\'s current state: each change is audited once, and a captured delivery replayed with its old signature is refused.',
  async inject(h) {
    const paid = await Promise.all(Array.from({ length: h.quick ? 2 : 3 }, () => h.paidTenant(3)));
    const fresh = await h.labTenant();
    const startedAt = Date.now();

    // 1. Every event twice, each operation's events in reverse.
    await h.controls.setStripeFaults({ duplicateDeliveries: true, reorderDeliveries: true });
    await Promise.all([h.buy(fresh, 4), ...paid.map((t) => h.api(t, 'POST', '/billing/seats', { quantity: 5 }))]);
    await Promise.all(paid.map((t) => h.portalSeatChange(t, 6)));
    await h.deliveriesSettled();
    await h.controls.setStripeFaults({ duplicateDeliveries: false, reorderDeliveries: false });
    const deliveries = await h.controls.deliveries();

    // 2. Delayed past the next event: hold deliveries, make two changes, deliver the second's events first.
    const target = paid[0] as TenantActor;
    await h.controls.setWebhookUrl(null);
    const cursor = await h.emulatorCursor();
    await h.api(target, 'POST', '/billing/seats', { quantity: 7 });
    await h.portalSeatChange(target, 8);
    const held = await heldSince(h, cursor);
    const first = held[0];
    const stale = first ? await h.deliver(first, Math.floor(Date.now() / 1000) - 3 * 86_400) : undefined;
    const storedStale = first ? readD1(h.stack.d1File()).stripeEvents.some((e) => e.id === first.id) : false;
    const lateAnswers = [...(await deliverAll(h, [...held].reverse())), ...(await h.resumeWebhooks(cursor))];

    // 3. Replayed days later (as Stripe's "resend"): every event so far, freshly signed, on a quiet system.
    await h.workload.pause();
    // Quiet first: the workload's last changes have been delivered and applied.
    await h.deliveriesSettled();
    await h.until('every stored event processed', async () => readD1(h.stack.d1File()).stripeEvents.every((e) => e.processedAt !== null || e.deadAt !== null), 30_000);
    const before = readD1(h.stack.d1File());
    // Quick runs re-send the latest events only: the same dedupe, in less time.
    const everything = (await heldSince(h, 0)).slice(h.quick ? -20 : 0);
    const replayAnswers = await deliverAll(h, everything);
    await sleep(1500);
    const after = readD1(h.stack.d1File());
    h.workload.resume();
    const endedAt = Date.now();

    const newAudit = after.audit.filter((a) => a.id > lastAuditId(before));
    const subsChanged = after.subscriptions.filter((s) => JSON.stringify(s) !== JSON.stringify(before.subscriptions.find((b) => b.tenantId === s.tenantId)));
    return {
      fault: 'emulator `duplicateDeliveries` + `reorderDeliveries` during a checkout and 2 seat changes per tenant; then deliveries held while 2 seat changes happen and delivered newest first; then every event of the run re-sent',
      startedAt,
      endedAt,
      figures: {
        'deliveries (duplicates)': `${deliveries.length} (${deliveries.filter((d) => d.duplicate).length})`,
        'held events delivered newest first': held.length,
        'events replayed': everything.length,
        'audit rows written by the replay': newAudit.length,
      },
      checks: [
        check('a captured delivery replayed 3 days later is refused, nothing stored', stale?.status === 400 && !storedStale, `status ${stale?.status}, stored: ${storedStale}`),
        check('late deliveries accepted', lateAnswers.every((a) => a.status === 200), statusesOf(lateAnswers)),
        check(
          'the replay is accepted and changes nothing',
          replayAnswers.every((a) => a.status === 200) && newAudit.length === 0 && subsChanged.length === 0,
          `${statusesOf(replayAnswers)}; audit rows written: ${newAudit.map((a) => `${a.action} ${a.tenantId} ${JSON.stringify(a.metadata)}`).join('; ') || 'none'}; subscriptions changed: ${subsChanged.map((x) => x.tenantId).join(', ') || 'none'}`,
        ),
      ],
    };
  },
};

const consumerCrash: Experiment = {
  id: 'consumer-crash',
  title: 'Queue consumer crashing mid-batch',
  quick: true,
  hypothesis:
    'A consumer that dies mid-batch (after one message\'s effect, before its ack) gets the batch redelivered; the stored-event check makes the redelivered work a no-op, so each change is applied and audited once.',
  async inject(h) {
    const paid = await Promise.all([h.paidTenant(3), h.paidTenant(3)]);
    const before = readD1(h.stack.d1File());
    const redeliveredBefore = h.stack.workerLogCount('"kind":"already-processed"');
    const startedAt = Date.now();
    const crashes = h.quick ? 2 : 3;
    await h.controls.setWorkerFaults({ crashBatches: crashes, crashAfter: 2 });
    for (const quantity of [5, 6]) {
      await Promise.all(paid.map((t) => h.api(t, 'POST', '/billing/seats', { quantity })));
      await Promise.all(paid.map((t) => h.portalSeatChange(t, quantity + 2)));
    }
    const crashesBefore = (await h.controls.workerCounters()).consumerCrashes;
    await h.until(`${crashes} consumer crashes`, async () => (await h.controls.workerCounters()).consumerCrashes - crashesBefore >= crashes, 15_000).catch(() => undefined);
    const consumerCrashes = (await h.controls.setWorkerFaults({ crashBatches: 0 })).counters.consumerCrashes - crashesBefore;
    const endedAt = Date.now();
    await h.until('lab events processed', async () => readD1(h.stack.d1File()).stripeEvents.every((e) => e.processedAt !== null || e.deadAt !== null), 30_000).catch(() => undefined);
    const after = readD1(h.stack.d1File());
    const updates = subscriptionUpdates(after, paid.map((t) => t.id), lastAuditId(before));
    const transitions = updates.map((a) => JSON.stringify(a.metadata));
    const duplicates = transitions.length - new Set(transitions.map((t, i) => `${updates[i]?.tenantId}:${t}`)).size;
    const redelivered = h.stack.workerLogCount('"kind":"already-processed"') - redeliveredBefore;
    return {
      fault: `the chaos entry's consumer processes 2 messages of a batch (the second's ack lost) and throws, for ${crashes} batches, during 4 seat changes per lab tenant`,
      startedAt,
      endedAt,
      figures: {
        'consumer crashes': consumerCrashes,
        'redelivered messages answered "already processed"': redelivered,
        'subscription.updated rows for the lab tenants (Stripe read at processing time, so several changes can land as one)': updates.length,
      },
      checks: [
        check('the consumer crashed, and the lost acks were redelivered', consumerCrashes > 0 && redelivered > 0, `${consumerCrashes} crashes, ${redelivered} redelivered`),
        check('no change audited twice', duplicates === 0, `${duplicates} duplicated transitions`),
      ],
    };
  },
};

const cronTwice: Experiment = {
  id: 'cron-twice',
  title: 'The cron running twice at once, with drift to repair',
  quick: true,
  hypothesis:
    'Two reconciliation runs at the same time repair a subscription whose webhook never came once: the overlapping-sync guard (`stripe_read_at`) lets one write win and the change is audited once.',
  async inject(h) {
    const paid = await Promise.all([h.paidTenant(3), h.paidTenant(3)]);
    await h.controls.setWebhookUrl(null);
    const cursor = await h.emulatorCursor();
    const before = readD1(h.stack.d1File());
    const startedAt = Date.now();
    // Drift: the portal changes seats and the webhook never comes.
    await Promise.all(paid.map((t, i) => h.portalSeatChange(t, 10 + i)));
    // Pairs of runs 2 s apart until the drift is repaired (a run reconciles every paying tenant: seconds under load), then one pair more.
    let repairedAfter = 0;
    let rounds = 0;
    while (rounds < 10 && (!repairedAfter || rounds === repairedAfter)) {
      rounds++;
      await Promise.all([h.stack.cron(), h.stack.cron()]);
      await sleep(2000);
      const d1 = readD1(h.stack.d1File());
      if (!repairedAfter && paid.every((t, i) => d1.subscriptions.find((s) => s.tenantId === t.id)?.seatQuantity === 10 + i)) repairedAfter = rounds;
    }
    const after = readD1(h.stack.d1File());
    const updates = subscriptionUpdates(after, paid.map((t) => t.id), lastAuditId(before));
    // The held webhooks arrive late, after the repair.
    const late = await h.resumeWebhooks(cursor);
    const endedAt = Date.now();
    return {
      fault: `webhooks withheld while the portal changes 2 subscriptions; then the scheduled handler fired twice concurrently, ${rounds} rounds 2 s apart (until repaired, and once more); the withheld webhooks delivered afterwards`,
      startedAt,
      endedAt,
      figures: { 'repaired in round': repairedAfter || 'never', 'subscription.updated rows for the drifted tenants': updates.length, 'late webhooks': statusesOf(late) },
      checks: [
        check('drift repaired by the cron', repairedAfter > 0, repairedAfter ? `round ${repairedAfter}` : 'D1 still differs from Stripe'),
        check('each repair audited once', updates.length === paid.length, `${updates.length} rows for ${paid.length} repairs`),
      ],
    };
  },
};

const objectResetRace: Experiment = {
  id: 'object-reset-race',
  title: 'A tenant\'s Durable Object reset while invitations race for the last seat',
  quick: true,
  hypothesis:
    'Resetting the seat object (in-memory state dropped, storage kept) again and again while 12 invitations race for one free seat lets at most one through: the count lives in its storage, so a new instance carries on from it. The others get 402, or 503 if a reset broke their call; D1 never holds more seats than the plan allows.',
  async inject(h) {
    const t = await h.labTenant();
    const invite = await h.api(t, 'POST', '/invitations', { email: `race.member.${t.label}@chaos.test`, role: 'member' });
    const token = String(invite.body.acceptUrl).split('/invitations/')[1];
    const member = { email: `race.member.${t.label}@chaos.test`, password: 'chaos-password-123' };
    await h.workload.api('POST', '/api/auth/signup', undefined, { ...member, name: 'Race member' });
    const signedIn = await h.workload.api('POST', '/api/auth/login', undefined, member);
    const joined = await h.workload.api('POST', `/api/invitations/${token}/accept`, signedIn.body.token as string);
    if (joined.status !== 200) throw new Error(`setting up the race: accept answered ${joined.status}`);
    const rounds = h.quick ? 2 : 4;
    const startedAt = Date.now();
    const perRound: string[] = [];
    const winners: number[] = [];
    const all: Answer[] = [];
    let overAllocated = 0;
    let resets = 0;
    let interleaved = 0;
    for (let round = 1; round <= rounds; round++) {
      // Racers spread over ~250 ms; the object is reset again and again for as long as any is unanswered.
      let racing = true;
      let lastAnswerAt = 0;
      const racers = Promise.all(
        Array.from({ length: 12 }, (_, i) => sleep(i * 20).then(() => h.api(t, 'POST', '/invitations', { email: `race${round}.${i}.${t.label}@chaos.test`, role: 'member' }))),
      ).finally(() => {
        racing = false;
        lastAnswerAt = Date.now();
      });
      const resetAt: number[] = [];
      const resetting = (async () => {
        while (racing) {
          await h.controls.resetObject(t.id).then(() => (resets++, resetAt.push(Date.now())), () => undefined);
          await sleep(30);
        }
      })();
      const [answers] = await Promise.all([racers, resetting]);
      interleaved += resetAt.filter((at) => at < lastAnswerAt).length;
      all.push(...answers);
      perRound.push(statusesOf(answers));
      const won = answers.filter((a) => a.status === 201);
      winners.push(won.length);
      const d1 = readD1(h.stack.d1File());
      if (d1SeatHolders(d1, t.id, Date.now()).length > 3) overAllocated++;
      // Give the last seat back for the next round.
      for (const a of won) await h.api(t, 'DELETE', `/invitations/${(a.body.invitation as { id: string }).id}`);
    }
    const endedAt = Date.now();
    return {
      fault: `${rounds} rounds of 12 invitations, 20 ms apart, for the one free seat of a free tenant (2 of 3 used), its object reset (ctx.abort()) over and over until the last one answered`,
      startedAt,
      endedAt,
      figures: { 'object resets': resets, 'resets completed while invitations were unanswered': interleaved, 'invitations answered 503 (a call the reset broke)': all.filter((a) => a.status === 503).length, ...Object.fromEntries(perRound.map((s, i) => [`round ${i + 1}`, s])) },
      checks: [
        check('at most one invitation wins each round', winners.every((n) => n <= 1), `winners per round: ${winners.join(', ')}`),
        check('the resets landed during the race', interleaved > 0, `${interleaved} of ${resets} resets completed while invitations were unanswered`),
        check('the losers get 402 or 503', all.every((a) => [201, 402, 503].includes(a.status)), statusesOf(all)),
        check('D1 never holds more than 3 seats', overAllocated === 0, `${overAllocated} rounds over`),
      ],
    };
  },
};

const clockSkew: Experiment = {
  id: 'clock-skew',
  title: 'Clock skew between Stripe and the Worker',
  quick: false,
  hypothesis:
    'The Worker orders Stripe reads by its own clock, so a Stripe clock a month ahead only moves period ends, which converge to Stripe\'s; a signature more than 5 minutes old by the Worker\'s clock is refused and stores nothing, one 4 minutes ahead is accepted.',
  async inject(h) {
    await h.paidTenant(3);
    await h.controls.setWebhookUrl(null);
    const cursor = await h.emulatorCursor();
    const startedAt = Date.now();
    const advanced = await h.controls.advanceClock({ days: 31 });
    const held = await heldSince(h, cursor);
    const probe = held.find((e) => e.type === 'customer.subscription.updated') ?? held[0];
    const now = Math.floor(Date.now() / 1000);
    const behind = probe ? await h.deliver(probe, now - 360) : undefined;
    const storedBehind = probe ? readD1(h.stack.d1File()).stripeEvents.some((e) => e.id === probe.id) : false;
    const ahead = probe ? await h.deliver(probe, now + 240) : undefined;
    const rest = await h.resumeWebhooks(cursor);
    const endedAt = Date.now();
    return {
      fault: 'the emulator clock advanced 31 days (renewals of every paid tenant; events held), then one event delivered signed 6 minutes in the past and 4 minutes in the future by the Worker\'s clock, then all of them',
      startedAt,
      endedAt,
      figures: { 'events from the month that passed': advanced.events.length, 'Stripe clock ahead of the Worker (days)': ((advanced.now - now) / 86_400).toFixed(1) },
      checks: [
        check('a signature 6 minutes old is refused and nothing stored', behind?.status === 400 && !storedBehind, `status ${behind?.status}, stored: ${storedBehind}`),
        check('a signature 4 minutes ahead is accepted', ahead?.status === 200, `status ${ahead?.status}`),
        check('the month\'s events are accepted', rest.every((a) => a.status === 200), statusesOf(rest)),
      ],
    };
  },
};

const d1Faults: Experiment = {
  id: 'd1-faults',
  title: 'D1 failing a fraction of statements',
  quick: true,
  hypothesis:
    'With 20% of D1 calls failing (half before running, half after committing), requests fail cleanly with the contract\'s 500, batches stay atomic so every row keeps its audit row, no seat is over-allocated (a leak is bounded by reconciliation), and the consumer retries until every event is processed.',
  async inject(h) {
    const paid = await h.paidTenant(3);
    const fresh = await h.labTenant();
    const faultMs = h.quick ? 5000 : 10_000;
    const before = await h.controls.workerCounters();
    const startedAt = Date.now();
    await h.controls.setWorkerFaults({ d1FailRate: 0.2 });
    const lab = await Promise.all([h.buy(fresh, 4), h.api(paid, 'POST', '/billing/seats', { quantity: 6 }), h.portalSeatChange(paid, 7).then(() => undefined, () => undefined)]);
    await sleep(Math.max(0, faultMs - (Date.now() - startedAt)));
    const { counters } = await h.controls.setWorkerFaults({ d1FailRate: 0 });
    const endedAt = Date.now();
    const ops = h.workload.since(startedAt, endedAt);
    const errors = ops.filter((r) => r.status >= 500);
    const unshaped = errors.filter((r) => !r.code);
    return {
      fault: `20% of D1 calls (statements and batches) fail for ${faultMs / 1000} s through the chaos entry's DB wrapper, half before running and half after committing`,
      startedAt,
      endedAt,
      figures: {
        'D1 calls': counters.d1Calls - before.d1Calls,
        'failed before running': counters.d1FailedBefore - before.d1FailedBefore,
        'failed after committing': counters.d1FailedAfter - before.d1FailedAfter,
        'workload answers ≥ 500': errors.length,
        'lab answers': statusesOf(lab.filter((a): a is Answer => a !== undefined)),
      },
      checks: [
        check('faults were injected', counters.d1FailedBefore + counters.d1FailedAfter > before.d1FailedBefore + before.d1FailedAfter, 'counters moved'),
        check('every error answer has the contract\'s shape', unshaped.length === 0, `${unshaped.length} of ${errors.length} without {error:{code}}`),
      ],
    };
  },
};

/** In the order they run: the quick ones first, the clock last (it moves Stripe's time for everyone). */
export const EXPERIMENTS: readonly Experiment[] = [d1Faults, webhookStorm, consumerCrash, cronTwice, objectResetRace, stripeErrors, stripeDown, stripeSlow, workerKill, clockSkew];
