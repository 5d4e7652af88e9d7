import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { Store, useStore } from "../src/state/store";
import { newRoot, unmountRoots } from "./fixtures";

afterEach(unmountRoots);

function Status({ store }: { store: Store<{ status: string }> }) {
  const status = useStore(store, (s) => s.status);
  return <p data-testid="status">{status}</p>;
}

describe("useStore", () => {
  it("shows a change made after the first render and before its effect subscribed", async () => {
    const store = new Store({ status: "loading" });
    const root = newRoot();
    // Rendered outside act(): the effect (the subscription) is left pending, as in a browser
    // where it waits for the next frame, and the store changes in between.
    render(<Status store={store} />, root);
    expect(root.textContent).toBe("loading");
    store.set({ status: "anonymous" });
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    expect(root.textContent).toBe("anonymous");
  });

  it("follows later changes and stops after unmount", async () => {
    const store = new Store({ status: "a" });
    let reads = 0;
    function Counted() {
      const status = useStore(store, (s) => {
        reads++;
        return s.status;
      });
      return <p>{status}</p>;
    }
    const root = newRoot();
    await act(async () => {
      render(<Counted />, root);
    });
    await act(async () => store.set({ status: "b" }));
    expect(root.textContent).toBe("b");
    await act(async () => render(null, root));
    const before = reads;
    store.set({ status: "c" });
    expect(reads).toBe(before); // unsubscribed: the selector is not even called
    expect(root.textContent).toBe("");
  });
});
