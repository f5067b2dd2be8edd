/** An organisation's page: `tenantPath(tenant, 'members', id, 'role')` is `/t/<slug>/members/<id>/role`, each part encoded. */
export function tenantPath(tenant: { slug: string }, ...segments: string[]): string {
  return ['', 't', tenant.slug, ...segments].map(encodeURIComponent).join('/');
}
