/** Claims of a Tessera access token (RFC 9068 §2.2 plus `sid`). */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  /** The session or grant the token came from: revoking it revokes the token. */
  readonly sid: string;
  readonly scope: string;
  readonly auth_time: number;
}
