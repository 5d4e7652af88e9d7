/** A tiny observable store and its Preact hook (no external state library). */
import { useEffect, useReducer, useRef } from "preact/hooks";

export class Store<T> {
  private listeners = new Set<(state: T) => void>();

  constructor(private state: T) {}

  get(): T {
    return this.state;
  }

  set(next: T | ((prev: T) => T)): void {
    const value = typeof next === "function" ? (next as (prev: T) => T)(this.state) : next;
    if (Object.is(value, this.state)) return;
    this.state = value;
    for (const l of [...this.listeners]) l(value);
  }

  update(patch: Partial<T>): void {
    this.set((s) => ({ ...s, ...patch }));
  }

  subscribe(listener: (state: T) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}

/** Re-renders the component when the selected slice changes (compared with Object.is). */
export function useStore<T, S = T>(store: Store<T>, selector: (state: T) => S = (s) => s as unknown as S): S {
  const [, force] = useReducer((n: number) => n + 1, 0);
  const selectorRef = useRef(selector);
  selectorRef.current = selector;
  const value = selector(store.get());
  const valueRef = useRef(value);
  valueRef.current = value;
  useEffect(() => {
    const changed = (state: T) => !Object.is(selectorRef.current(state), valueRef.current);
    const unsubscribe = store.subscribe((state) => {
      if (changed(state)) force(0);
    });
    // Effects run after the paint, so a change made between the render and this subscription
    // (the start-up probe failing at once offline) would otherwise be missed for good: seen as
    // « Chargement… » that never left after an offline reload.
    if (changed(store.get())) force(0);
    return unsubscribe;
  }, [store]);
  return value;
}
