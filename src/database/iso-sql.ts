/** A timestamptz expression as the API writes times: ISO-8601 in UTC with milliseconds, exactly as Date.toISOString. */
export const isoSql = (expr: string): string => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
