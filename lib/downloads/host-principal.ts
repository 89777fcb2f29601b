/** The principal a host's own authentication put on the request (shared with the router: see auth/host-principal.ts). */
export { hostPrincipal, HOST_PRINCIPAL_KIND } from '../auth/host-principal';
