import { describe, expect, it } from "vitest";
import { dayLabel, separatorBefore, shortStamp } from "../src/lib/dates";

const now = new Date(2024, 2, 15, 10, 30); // Friday 15 March 2024

describe("day separators", () => {
  it("labels today and yesterday", () => {
    expect(dayLabel(new Date(2024, 2, 15, 0, 1), now)).toBe("Aujourd'hui");
    expect(dayLabel(new Date(2024, 2, 14, 23, 59), now)).toBe("Hier");
  });

  it("labels older days of this year with the weekday, other years with the year", () => {
    expect(dayLabel(new Date(2024, 2, 11, 9, 0), now)).toBe("Lundi 11 mars");
    expect(dayLabel(new Date(2023, 11, 25, 9, 0), now)).toBe("25 décembre 2023");
  });

  it("inserts a separator before the first message of each day", () => {
    const items = [
      { created_at: new Date(2024, 2, 14, 9).toISOString() },
      { created_at: new Date(2024, 2, 14, 18).toISOString() },
      { created_at: new Date(2024, 2, 15, 8).toISOString() },
    ];
    expect(items.map((_, i) => separatorBefore(items, i, now))).toEqual(["Hier", null, "Aujourd'hui"]);
  });

  it("short stamps for the conversation list", () => {
    expect(shortStamp(new Date(2024, 2, 15, 9, 5), now)).toBe("09:05");
    expect(shortStamp(new Date(2024, 2, 14, 9, 5), now)).toBe("Hier");
  });
});
