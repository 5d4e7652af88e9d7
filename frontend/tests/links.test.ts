import { describe, expect, it } from "vitest";
import { splitLinks } from "../src/lib/links";

describe("links in message text", () => {
  it("makes http and https addresses links, without the sentence's punctuation", () => {
    expect(splitLinks("Voir https://has-sante.fr/reco. Merci")).toEqual([
      { text: "Voir " },
      { href: "https://has-sante.fr/reco", text: "https://has-sante.fr/reco" },
      { text: ". Merci" },
    ]);
    expect(splitLinks("(http://x.fr/a?b=1)")).toEqual([{ text: "(" }, { href: "http://x.fr/a?b=1", text: "http://x.fr/a?b=1" }, { text: ")" }]);
  });

  it("never makes a link of javascript:, data: or markup", () => {
    for (const body of ["javascript:alert(1)", "data:text/html,<script>x</script>", '<a href="javascript:x">y</a>', "jAvAsCrIpT:alert(1)"]) {
      expect(splitLinks(body).every((p) => !("href" in p))).toBe(true);
    }
  });

  it("keeps plain text as it is", () => {
    expect(splitLinks("Bonjour")).toEqual([{ text: "Bonjour" }]);
    expect(splitLinks("")).toEqual([{ text: "" }]);
  });
});
