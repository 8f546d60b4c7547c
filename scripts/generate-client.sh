#!/usr/bin/env bash
# Regenerates the web console's API client (src/Helpdesk.Web/Api/Client) from the API's own
# OpenAPI document: builds and starts the API on a free 127.0.0.1 port over an empty temp data
# folder, saves /api/openapi/v1.json (without its "servers", which name the host it was read from)
# as src/Helpdesk.Web/Api/openapi.json, and runs Kiota (the version pinned in .config/dotnet-tools.json)
# on it. The test Checked_in_client_matches_the_api_document fails until this is re-run after the
# API's document changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export KIOTA_OFFLINE_ENABLED=true DOTNET_CLI_TELEMETRY_OPTOUT=1

web=src/Helpdesk.Web
document=$web/Api/openapi.json

dotnet tool restore >/dev/null
dotnet build src/Helpdesk.Api --nologo -v q -clp:NoSummary

data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="http://127.0.0.1:$port" Storage__DataFolder="$data" \
  Auth__DevelopmentSigningKey= Console__Root="$data/no-console" \
  dotnet src/Helpdesk.Api/bin/Debug/net10.0/Helpdesk.Api.dll >"$data/api.log" 2>&1 &
api=$!
trap 'kill $api 2>/dev/null || true; wait $api 2>/dev/null || true; rm -rf "$data"' EXIT

for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$port/api/openapi/v1.json" -o "$data/v1.json" 2>/dev/null; then break; fi
  if ! kill -0 $api 2>/dev/null; then cat "$data/api.log" >&2; exit 1; fi
  sleep 0.5
done
[ -s "$data/v1.json" ] || { echo "The API did not answer its OpenAPI document." >&2; cat "$data/api.log" >&2; exit 1; }

python3 - "$data/v1.json" "$document" <<'PY'
import json, sys
document = json.load(open(sys.argv[1], encoding="utf-8"))
document.pop("servers", None)
with open(sys.argv[2], "w", encoding="utf-8", newline="\n") as out:
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")
PY

dotnet kiota generate --language CSharp --openapi "$document" --output "$web/Api/Client" \
  --class-name HelpdeskApiClient --namespace-name Helpdesk.Web.Api.Client \
  --exclude-backward-compatible --clean-output --log-level Warning
echo "Regenerated $web/Api/Client from $document ($(find "$web/Api/Client" -name '*.cs' | wc -l) files)."
