/** Who is acting on the admin API: "key:<first 8 hex digits of the key's SHA-256>" or the Access email. */
export interface AdminActor {
  actor: string;
  via: "key" | "access";
}
