// The example values of the API's schemas, in the shapes Kabinet really gives out (people are UUIDs, services 12
// base64url characters, appointments, rooms and files 16, webhook endpoints `whe_…`, deliveries `msg_…`), one value
// per kind, so the reference's curl examples fit together and a reader recognises each id when they meet a real one.
export const EXAMPLE = {
  serviceId: "Qm4xT2vLp0aR",
  specialistId: "7c1e4b2a-9f3d-4e8a-b6c5-2d1f0a9e8b7c",
  clientId: "0b9d8f3e-5c1a-4f7e-9a2b-6d4c3e2f1a0b",
  appointmentId: "Xb3k9QmT2vLp0aRs",
  roomId: "q3Vx8kLm2NpR7sTu",
  fileId: "F7nR2kQ9vXb0LmTs",
  webhookId: "whe_Yf3kQ0x9mB2c7rTz",
  deliveryId: "msg_2KWPBgLlAfxdpx2AI54pPJ85",
  webhookUrl: "https://crm.example.com/kabinet/hooks",
  internalWebhookUrl: "https://crm.clinic.lan:8443/kabinet/hooks",
  internalHost: "crm.clinic.lan",
} as const;
