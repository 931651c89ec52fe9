#!/bin/sh
# A test exec credential plugin (client.authentication.k8s.io). Prints an ExecCredential whose
# token counts the runs, so tests can see caching and re-runs.
#   $1                      apiVersion to answer with
#   KTAPE_PLUGIN_COUNTER    a file that gets one line per run (default: none)
#   KTAPE_PLUGIN_MODE       ok (default) | fail | garbage | wrong-version
#   KTAPE_PLUGIN_EXPIRY     expirationTimestamp to return, or empty
if [ -z "$KUBERNETES_EXEC_INFO" ]; then
  echo "KUBERNETES_EXEC_INFO is not set" >&2
  exit 4
fi
runs=1
if [ -n "$KTAPE_PLUGIN_COUNTER" ]; then
  echo run >> "$KTAPE_PLUGIN_COUNTER"
  runs=$(wc -l < "$KTAPE_PLUGIN_COUNTER" | tr -d ' ')
fi
case "${KTAPE_PLUGIN_MODE:-ok}" in
  fail)
    echo "error: the identity provider is unreachable" >&2
    exit 3
    ;;
  garbage)
    echo "<html>this is not a credential (secret-in-garbage)</html>"
    exit 0
    ;;
  wrong-version)
    printf '{"apiVersion":"client.authentication.k8s.io/v1alpha1","kind":"ExecCredential","status":{"token":"t"}}\n'
    exit 0
    ;;
esac
expiry=""
if [ -n "$KTAPE_PLUGIN_EXPIRY" ]; then
  expiry=",\"expirationTimestamp\":\"$KTAPE_PLUGIN_EXPIRY\""
fi
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"plugin-token-%s"%s}}\n' "$1" "$runs" "$expiry"
