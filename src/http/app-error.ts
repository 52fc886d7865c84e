/** An unexpected failure with a message that is safe to show; the cause is logged, never shown. */
export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503,
    readonly publicMessage: string,
    options?: { cause?: unknown },
  ) {
    super(publicMessage, options);
  }
}
