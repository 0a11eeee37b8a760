// Every router of the gateway matches paths exactly: case-sensitive (`/V1/me` is not `/v1/me`) and
// strict (`/v1/me/` is not `/v1/me`). A path spelled any other way names no endpoint: a 404, which
// is audited like any other refusal, so no spelling of a path slips past a check made on another.
import { Router } from 'express';

export const ROUTING = { caseSensitive: true, strict: true } as const;

export const router = (): Router => Router(ROUTING);
