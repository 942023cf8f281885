import type { ChatMessage } from "@earshot/protocol";
import type { AuditEntry, Report } from "./ChatStore.js";

// Rows of the moderation tables as both stores read them (PostgreSQL returns BIGINT as text).

export interface ReportRow {
  id: number | string;
  zone: string;
  reporter: string;
  target: string;
  reason: string;
  message_id: string | null;
  context: string | ChatMessage[];
  created_at: number | string;
  resolved_at: number | string | null;
  resolved_by: string | null;
}

export interface AuditRow {
  by_user: string;
  action: string;
  target: string;
  zone: string | null;
  reason: string | null;
  until: number | string | null;
  at: number | string;
}

export const reportIdOf = (id: number | bigint | string) => `report_${String(id)}`;

/** The row id of a `report_<n>` id; undefined for anything else. */
export function reportSeq(reportId: string): number | undefined {
  const m = /^report_(\d{1,15})$/.exec(reportId);
  return m ? Number(m[1]) : undefined;
}

const num = (v: number | string | null) => (v === null ? null : Number(v));

export const toReport = (r: ReportRow): Report => ({
  reportId: reportIdOf(r.id),
  zoneId: r.zone,
  reporter: r.reporter,
  target: r.target,
  reason: r.reason,
  ...(r.message_id !== null && { messageId: r.message_id }),
  context: typeof r.context === "string" ? (JSON.parse(r.context) as ChatMessage[]) : r.context,
  createdAt: Number(r.created_at),
  resolvedAt: num(r.resolved_at),
  resolvedBy: r.resolved_by,
});

export const toAudit = (r: AuditRow): AuditEntry => ({
  by: r.by_user,
  action: r.action,
  target: r.target,
  ...(r.zone !== null && { zoneId: r.zone }),
  ...(r.reason !== null && { reason: r.reason }),
  ...(r.until !== null && { until: Number(r.until) }),
  at: Number(r.at),
});
