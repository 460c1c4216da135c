/** The gateway's version, as /healthz and `courier-gw --version` show it (imports nothing). */
export const VERSION = '0.1.0';
