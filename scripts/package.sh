#!/usr/bin/env bash
# Builds the Azure Functions deployment package of the app (custom handler, Flex Consumption):
#   artifacts/package/site/            the folder the host runs
#     host.json
#     <FunctionName>/function.json     one folder per function, copied from functions/
#     app/Helpdesk.Api                 the self-contained linux-x64 app, execute bit set
#   artifacts/package/helpdesk-functions.zip   the same tree, zipped (Unix modes kept)
#
# Usage: scripts/package.sh [--output DIR] [--from-publish DIR]
#   --output DIR        where site/ and the zip go (default artifacts/package)
#   --from-publish DIR  assemble from an existing publish folder instead of running dotnet publish
#
# With --console, builds the web console's Static Web App instead (infra-bicep/modules/staticwebapp.bicep):
#   artifacts/package/console/   the console's static files, staticwebapp.config.json, and an
#                                appsettings.json naming the API and the Entra ID sign-in
# Usage: scripts/package.sh --console --api-base-url URL --authority URL --client-id ID --api-scope SCOPE
#                           [--output DIR] [--from-publish DIR]
#   --api-base-url   the Function App, e.g. https://helpdesk-prod-func-xyz.azurewebsites.net (main.bicep's apiBaseUrl without /api)
#   --authority      https://login.microsoftonline.com/<tenant id>/v2.0
#   --client-id      the console's app registration (a single-page application)
#   --api-scope      the API's delegated scope, e.g. api://<api client id>/user_impersonation
#   --from-publish   a `dotnet publish src/Helpdesk.Web` folder (its wwwroot/) instead of publishing
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
output="$root/artifacts/package"
from_publish=""
console=false
api_base_url=""
authority=""
client_id=""
api_scope=""

while [ $# -gt 0 ]; do
  case "$1" in
    --output) output="$2"; shift 2 ;;
    --from-publish) from_publish="$2"; shift 2 ;;
    --console) console=true; shift ;;
    --api-base-url) api_base_url="$2"; shift 2 ;;
    --authority) authority="$2"; shift 2 ;;
    --client-id) client_id="$2"; shift 2 ;;
    --api-scope) api_scope="$2"; shift 2 ;;
    *) echo "Unknown argument: $1" >&2; exit 2 ;;
  esac
done

if [ "$console" = true ]; then
  for required in api_base_url authority client_id api_scope; do
    if [ -z "${!required}" ]; then
      echo "--console needs --${required//_/-}." >&2
      exit 2
    fi
  done
  case "$api_base_url$authority" in
    *http://*) echo "--api-base-url and --authority must be https:// addresses." >&2; exit 2 ;;
  esac

  site="$output/console"
  rm -rf "$site"
  mkdir -p "$site"
  if [ -z "$from_publish" ]; then
    from_publish="$output/console-publish"
    rm -rf "$from_publish"
    dotnet publish "$root/src/Helpdesk.Web/Helpdesk.Web.csproj" --nologo -c Release -o "$from_publish"
  fi
  if [ ! -f "$from_publish/wwwroot/index.html" ]; then
    echo "The console's publish folder has no wwwroot/index.html: $from_publish" >&2
    exit 1
  fi

  cp -R "$from_publish/wwwroot/." "$site/"
  cp "$root/src/Helpdesk.Web/staticwebapp.config.json" "$site/"
  # The published appsettings.json with the deployment's values; its compressed copies would
  # still carry the empty ones, so they go.
  rm -f "$site/appsettings.json.br" "$site/appsettings.json.gz"
  python3 - "$site/appsettings.json" "${api_base_url%/}" "$authority" "$client_id" "$api_scope" <<'PY'
import json, sys
path, base_url, authority, client_id, scope = sys.argv[1:]
settings = json.load(open(path))
settings.setdefault("Api", {})["BaseUrl"] = base_url
auth = settings.setdefault("Auth", {})
auth["Authority"] = authority
auth["ClientId"] = client_id
auth["ApiScopes"] = [scope]
json.dump(settings, open(path, "w"), indent=2)
PY
  echo "$site"
  exit 0
fi

site="$output/site"
zipfile="$output/helpdesk-functions.zip"
rm -rf "$site" "$zipfile"
mkdir -p "$site/app"

if [ -z "$from_publish" ]; then
  dotnet publish "$root/src/Helpdesk.Api/Helpdesk.Api.csproj" --nologo -c Release \
    -r linux-x64 --self-contained true -o "$site/app"
else
  cp -R "$from_publish"/. "$site/app/"
fi

# The executable host.json starts (customHandler.description.defaultExecutablePath).
executable=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["customHandler"]["description"]["defaultExecutablePath"])' "$root/host.json")
if [ ! -f "$site/$executable" ]; then
  echo "The published app has no $executable (named by host.json)." >&2
  exit 1
fi
chmod +x "$site/$executable"

# Local data, settings and development files never ship.
rm -rf "$site/app/data" "$site/app/appsettings.Development.json"

cp "$root/host.json" "$site/host.json"
for function_json in "$root"/functions/*/function.json; do
  name=$(basename "$(dirname "$function_json")")
  mkdir -p "$site/$name"
  cp "$function_json" "$site/$name/function.json"
done

(cd "$site" && zip -qr -X "$zipfile" .)
echo "$zipfile"
