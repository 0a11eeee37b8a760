// Ids the gateway mints (grants, pauses) are UUIDs: a path segment of any other shape names nothing,
// so it is answered without a store look-up and never echoed (it may be any length).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (s: string): boolean => UUID.test(s);
