export const PURPOSES = ["login", "register", "reset_password", "change_phone"] as const;
export type Purpose = (typeof PURPOSES)[number];
