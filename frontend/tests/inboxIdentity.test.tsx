import { render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import type { InboxMail, XdmInfo } from "../src/api/inbox";
import { XdmIdentity } from "../src/screens/inbox/XdmIdentity";

const XDM: XdmInfo = {
  ins: "285037728417346",
  ins_oid: "1.2.250.1.213.1.4.10",
  ins_oid_label: "INS de test",
  ins_status: "valid",
  ins_problem: "",
  birth_name: "LEFEBVRE",
  given_names: "Marie Louise",
  first_name: "Marie",
  birth_date: "14/03/1985",
  sex: "F",
  sex_label: "Féminin",
  birth_place: "77284",
  documents: [{ uri: "DOC0001.XML", title: "Lettre de liaison", type_code: "11490-0", type_display: "" }],
};

function mail(extra: Partial<InboxMail> = {}): InboxMail {
  return {
    id: "m1", mailbox: "b1", from: "a@demo.mssante.fr", from_name: "", subject: "Lettre", received_at: "2026-11-27T10:00:00Z",
    kind: "mail", status: "ok", team_state: "todo", taken_by: null, unread: false, has_attachments: true,
    health_document: true, history: [], xdm: XDM, patient: null, patient_match: "offer", patient_known: null, ...extra,
  };
}

let root: HTMLElement;
afterEach(() => {
  render(null, root);
  root.remove();
});

function show(m: InboxMail, xdm: XdmInfo = XDM): HTMLElement {
  root = document.createElement("div");
  document.body.appendChild(root);
  render(<XdmIdentity xdm={xdm} mail={m} />, root);
  return root;
}

const text = (el: HTMLElement, id: string) => el.querySelector(`[data-testid=${id}]`)?.textContent ?? null;

describe("XDM identity", () => {
  it("shows every strict trait, the INS with its OID, and the offer for an unknown patient", () => {
    const el = show(mail());
    expect(text(el, "xdm-birth-name")).toBe("LEFEBVRE");
    expect(text(el, "xdm-given-names")).toBe("Marie Louise");
    expect(text(el, "xdm-sex")).toBe("Féminin");
    expect(text(el, "xdm-birth-date")).toBe("14/03/1985");
    expect(text(el, "xdm-birth-place")).toBe("77284");
    expect(text(el, "xdm-ins-oid")).toBe("1.2.250.1.213.1.4.10 (INS de test)");
    expect(el.querySelector("[data-testid=xdm-match]")?.getAttribute("data-match")).toBe("offer");
    expect(el.querySelector("[data-testid=xdm-known]")).toBeNull();
  });

  it("names the traits that differ from the known patient's record", () => {
    const known = {
      id: "p1", birth_name: "LEFEBVRE", first_names: ["Marie"], birth_date: "15/03/1985", sex: "F", birth_place: "77284",
      ins: XDM.ins, identity_status: "QUAL", identity_status_label: "Qualifiée", differences: ["first_names", "birth_date"],
    };
    const el = show(mail({ patient: "p1", patient_match: "matched", patient_known: known }));
    expect(text(el, "xdm-differences")).toContain("prénoms de naissance, date de naissance");
    expect(el.querySelector("[data-testid=xdm-coherent]")).toBeNull();
  });

  it("marks a missing trait of an older package as not given", () => {
    // The server sends a trait an older package lacks as "" (backend/mssante/inbox/identity.py).
    const el = show(mail(), { ...XDM, birth_place: "", sex: "", sex_label: "" });
    expect(text(el, "xdm-birth-place")).toBe("non renseigné");
    expect(text(el, "xdm-sex")).toBe("non renseigné");
  });
});
