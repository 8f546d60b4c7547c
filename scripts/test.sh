#!/usr/bin/env bash
# Runs every test of the repository: restores, builds (warnings are errors) and tests the
# whole solution, then prints one closing line "N passed, N failed, N skipped".
# Anything the tests need beyond the .NET SDK is installed here, never by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

# One run at a time on a machine: the suite is CPU-bound (a 2-core CI box) and its browser and
# crash tests wait on real processes, so two runs at once only make both slow and flaky. A second
# run (from any checkout of the repository) waits for the first and says so. flock -o holds the
# lock itself, so a process a test leaks cannot keep it.
if [ -z "${HELPDESK_TEST_SUITE_LOCKED:-}" ]; then
  export HELPDESK_TEST_SUITE_LOCKED=1
  lock="${TMPDIR:-/tmp}/helpdesk-test-suite.lock"
  flock -n -o "$lock" true || echo "Another run of scripts/test.sh is under way on this machine; waiting for it to finish..."
  exec flock -o "$lock" "$PWD/scripts/test.sh" "$@"
fi

log=$(mktemp)
# Errors the app logs while under test (tests/Helpdesk.Api.Tests/Infrastructure/ServerErrorLog.cs);
# the unhandled ones behind a 500 are printed below when a run fails.
export HELPDESK_TEST_ERROR_LOG
HELPDESK_TEST_ERROR_LOG=$(mktemp)
trap 'rm -f "$log" "$HELPDESK_TEST_ERROR_LOG"' EXIT

status=0

# The Cosmos DB test server (tools/cosmos-test-server): installed from its lock file, its own
# compatibility tests run with node's test runner. The .NET tests start it themselves.
server=tools/cosmos-test-server
if [ ! -f "$server/node_modules/@vercel/cosmosdb-server/package.json" ]; then
  (cd "$server" && npm ci --no-audit --no-fund)
fi
(cd "$server" && npm test 2>&1) | tee -a "$log" || status=$?

# Azurite (tools/azurite), the Azure Storage emulator of the blob attachment store tests:
# installed from its lock file; the .NET tests start it themselves (HTTPS, OAuth on).
if [ ! -f tools/azurite/node_modules/azurite/package.json ]; then
  (cd tools/azurite && npm ci --no-audit --no-fund)
fi

# The web console's browser tests (tests/Helpdesk.Web.Tests) drive Debian's chromium through
# Playwright (no browser download) and inject axe-core, installed from its lock file (tools/axe).
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
if [ ! -f tools/axe/node_modules/axe-core/axe.min.js ]; then
  (cd tools/axe && npm ci --no-audit --no-fund)
fi

dotnet test Helpdesk.Functions.sln --nologo 2>&1 | tee -a "$log" || status=$?

# The HTTP tests of the capabilities whose stores all have a Cosmos DB implementation, once more
# with Storage:Provider = cosmos, on the Cosmos DB test server, so they are proven on both
# engines: the foundation (tickets, directory, hosting, triggers), the ticket's items
# (conversation, time, expenses, activities, attachments, approvals), surveys, the customer context,
# webhooks, merges, deletion, calendar push, knowledge (resolutions, articles), the outcome
# notifications, the ticket dashboard (Reports), SLA, the customer portal and the email channel
# (Mail, re-threading included).
# The other folders' stores are SQLite-only so far (docs/adr/0004-cosmos-containers.md). The
# query-plan test of the contacts index reads SQLite's plan, so it runs on SQLite only.
cosmos_tests='(FullyQualifiedName~Helpdesk.Api.Tests.Tickets.|FullyQualifiedName~Helpdesk.Api.Tests.Directory.|FullyQualifiedName~Helpdesk.Api.Tests.Hosting.|FullyQualifiedName~Helpdesk.Api.Tests.Triggers.|FullyQualifiedName~Helpdesk.Api.Tests.Conversation.|FullyQualifiedName~Helpdesk.Api.Tests.Time.|FullyQualifiedName~Helpdesk.Api.Tests.Expenses.|FullyQualifiedName~Helpdesk.Api.Tests.Activities.|FullyQualifiedName~Helpdesk.Api.Tests.Attachments.|FullyQualifiedName~Helpdesk.Api.Tests.Satisfaction.|FullyQualifiedName~Helpdesk.Api.Tests.CustomerContext.|FullyQualifiedName~Helpdesk.Api.Tests.Approvals.|FullyQualifiedName~Helpdesk.Api.Tests.Webhooks.|FullyQualifiedName~Helpdesk.Api.Tests.Merge.|FullyQualifiedName~Helpdesk.Api.Tests.Deletion.|FullyQualifiedName~Helpdesk.Api.Tests.Calendar.|FullyQualifiedName~Helpdesk.Api.Tests.Knowledge.|FullyQualifiedName~Helpdesk.Api.Tests.Outcomes.|FullyQualifiedName~Helpdesk.Api.Tests.Notifications.|FullyQualifiedName~Helpdesk.Api.Tests.Reports.|FullyQualifiedName~Helpdesk.Api.Tests.Mail.|FullyQualifiedName~Helpdesk.Api.Tests.Sla.|FullyQualifiedName~Helpdesk.Api.Tests.Portal.)&FullyQualifiedName!~The_contacts_of_an_account_are_read_through_an_index'
HELPDESK_TEST_STORE=cosmos dotnet test tests/Helpdesk.Api.Tests --no-build --nologo --filter "$cosmos_tests" 2>&1 | tee -a "$log" || status=$?

# Sum the per-assembly summaries ("Passed!  - Failed: 0, Passed: 74, Skipped: 0, ...") and
# node's ("# pass 20", "# fail 0", "# skipped 0").
read -r passed failed skipped < <(awk '
  /^# pass [0-9]+$/    { p += $3 }
  /^# fail [0-9]+$/    { f += $3 }
  /^# skipped [0-9]+$/ { s += $3 }
  /(Passed|Failed)! +- +Failed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:")  f += $(i + 1)
      if ($i == "Passed:")  p += $(i + 1)
      if ($i == "Skipped:") s += $(i + 1)
    }
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")
if [ "$failed" -gt 0 ] && grep -q "Unhandled error on" "$HELPDESK_TEST_ERROR_LOG"; then
  echo
  echo "Unhandled server errors logged during the run (the first 300 lines):"
  awk '/^--- / { keep = 0 } /^--- .*ProblemExceptionHandler/ { keep = 1 } keep' "$HELPDESK_TEST_ERROR_LOG" | head -300
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
