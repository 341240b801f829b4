// The typed error every API call throws: the problem+json body (parsed), or a synthetic one for network failures.
import { ProblemSchema, type ProblemBody } from "./wire";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: ProblemBody;

  constructor(status: number, problem: ProblemBody) {
    super(problem.title ?? problem.code ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = problem.code ?? (status === 0 ? "network" : `http_${status}`);
    this.problem = problem;
  }
}

/** Builds the error from a failed response's body text (which may not be JSON at all). */
export function apiErrorFrom(status: number, bodyText: string): ApiError {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = null;
  }
  const result = ProblemSchema.safeParse(parsed);
  const problem: ProblemBody = result.success ? result.data : { status, title: bodyText.slice(0, 200) || undefined };
  if (status === 503 && !problem.code) problem.code = "unavailable";
  return new ApiError(status, problem);
}

export function networkError(): ApiError {
  return new ApiError(0, { code: "network", title: "Network error" });
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
