import { describe, expect, it } from "vitest";
import { BoundedMap } from "./bounded-map";

describe("BoundedMap", () => {
  it("keeps at most its size, dropping the oldest key set", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1).set("b", 2);
    map.set("a", 10); // an existing key is updated, nothing dropped
    expect([...map]).toEqual([
      ["a", 10],
      ["b", 2],
    ]);
    map.set("c", 3);
    expect([...map.keys()]).toEqual(["b", "c"]);
    expect(map.get("a")).toBeUndefined();
  });
});
