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
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
output="$root/artifacts/package"
from_publish=""

while [ $# -gt 0 ]; do
  case "$1" in
    --output) output="$2"; shift 2 ;;
    --from-publish) from_publish="$2"; shift 2 ;;
    *) echo "Unknown argument: $1" >&2; exit 2 ;;
  esac
done

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
