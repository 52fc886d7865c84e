// The integrator's guides the appliance serves (rendered at build time by guide.macro.ts, served by guide.tsx).

/** Each guide: its file under docs/ and where it is served (under /api/v1). */
export const GUIDES = {
  api: { file: "api.md", path: "/guide", label: "Guide: worked examples" },
  webhooks: { file: "webhooks.md", path: "/guide/webhooks", label: "Webhooks" },
  fhir: { file: "fhir.md", path: "/guide/fhir", label: "FHIR R4" },
} as const;

export type GuideName = keyof typeof GUIDES;

export interface RenderedGuide {
  title: string;
  html: string;
}
