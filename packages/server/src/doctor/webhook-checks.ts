import type { Check, Finding } from "./finding.js";
import { isLocalHostname } from "./finding.js";

/**
 * Alert webhooks (DESIGN, HTTP contract): signed with HMAC-SHA256 under
 * `TESSERA_ALERT_WEBHOOK_SECRET`, so a receiver can tell real alerts from
 * forged ones; the body names users and IPs, so it should not travel in clear.
 */
export const webhookCheck: Check = (config) => {
  const url = config.alertWebhookUrl;
  if (!url) {
    return [
      {
        id: "webhook.none",
        severity: "info",
        what: "No alert webhook: detected misuse (refresh-token reuse, login bursts, revoked-token use) shows only in the audit trail and /metrics.",
        fix: "Set TESSERA_ALERT_WEBHOOK_URL and TESSERA_ALERT_WEBHOOK_SECRET (16+ random characters) to be told at once.",
      },
    ];
  }
  const findings: Finding[] = [];
  if (!config.alertWebhookSecret) {
    findings.push({
      id: "webhook.no_secret",
      severity: "high",
      what: "TESSERA_ALERT_WEBHOOK_URL is set without TESSERA_ALERT_WEBHOOK_SECRET: alerts are unsigned, so the receiver cannot tell them from forged ones.",
      fix: "Set TESSERA_ALERT_WEBHOOK_SECRET to 16+ random characters (openssl rand -hex 32) and verify x-tessera-signature at the receiver.",
    });
  }
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && !isLocalHostname(parsed.hostname)) {
    findings.push({
      id: "webhook.not_https",
      severity: "medium",
      what: `The alert webhook (${parsed.protocol}//${parsed.host}) is plain HTTP off localhost: alert bodies (user ids, IPs) cross the network in clear and can be held back by anyone on the path.`,
      fix: "Set TESSERA_ALERT_WEBHOOK_URL to an https:// URL.",
    });
  }
  return findings;
};
