import { SimpleCmError } from '@simplecm/kernel';

export const HttpErrorCode = {
  badRequest: 'bad-request',
  notFound: 'not-found',
  forbidden: 'forbidden',
  unavailable: 'unavailable',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

const statusOf: Record<HttpErrorCode, number> = { 'bad-request': 400, 'not-found': 404, forbidden: 403, unavailable: 503 };

/** An answer other than 200 that the request itself caused; its message is shown to the user. */
export class HttpError extends SimpleCmError<HttpErrorCode> {
  override readonly name = 'HttpError';
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = statusOf[code];
  }
}
