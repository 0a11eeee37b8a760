// Small pieces every view uses. Every value from the API is rendered as a text node by Preact
// (never as HTML), so an audit field holding markup shows as the characters it holds.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

/** Loads on mount and on reload(); keeps the last error to show. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): { data?: T; error?: unknown; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown }>({});
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data }),
      (error) => live && setState({ error }),
    );
    return () => void (live = false);
  }, [...deps, n]);
  return { ...state, reload: useCallback(() => setN((x) => x + 1), []) };
}

export function ErrorBox({ error }: { error?: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `${error.problem.status} ${error.problem.code}: ${error.problem.detail ?? error.problem.title ?? ''}` : String(error);
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

/** Any value as text: objects as indented JSON. */
export const show = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v, null, 2) : String(v));

export function Field({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
    </label>
  );
}

/** Runs an action, reporting its error or a success message. */
export function useAction(): { busy: boolean; error?: unknown; done?: string; run: (f: () => Promise<string | void>) => Promise<void> } {
  const [s, set] = useState<{ busy: boolean; error?: unknown; done?: string }>({ busy: false });
  const run = async (f: () => Promise<string | void>) => {
    set({ busy: true });
    try {
      set({ busy: false, done: (await f()) ?? undefined });
    } catch (error) {
      set({ busy: false, error });
    }
  };
  return { ...s, run };
}

export function Status({ action }: { action: { error?: unknown; done?: string } }) {
  return (
    <>
      <ErrorBox error={action.error} />
      {action.done && (
        <p class="done" role="status">
          {action.done}
        </p>
      )}
    </>
  );
}
