// The gateway's notion of now, passed in so tests can control time (grant expiry, audit timestamps).

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
