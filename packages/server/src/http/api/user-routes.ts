import type { FastifyInstance } from "fastify";
import { registerUser } from "../../accounts/register-user.js";
import { TesseraError } from "../../shared/errors.js";
import { requestContext } from "../request-context.js";
import { formFields, type RouteContext } from "../route-context.js";

export function userApiRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post(
    "/api/v1/users",
    {
      // Creates an account and no session: no ambient credential is used.
      config: { csrf: "none" },
      schema: {
        body: {
          type: "object",
          required: ["email", "password"],
          additionalProperties: false,
          properties: { email: formFields.email, password: formFields.password },
        },
      },
    },
    async (request, reply) => {
      if (ctx.deps.config.registration === "closed") throw new TesseraError("registration_closed");
      const body = request.body as { email: string; password: string };
      const user = await registerUser(
        ctx.deps.accounts,
        { email: body.email, password: body.password, actor: "self", via: "api" },
        requestContext(request),
      );
      return reply
        .code(201)
        .header("location", `/api/v1/users/${user.id}`)
        .send({
          id: user.id,
          email: user.email,
          role: user.role,
          createdAt: new Date(user.createdAt).toISOString(),
        });
    },
  );
}
