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

# Each step writes its own log (the summary below reads them all); steps that run side by side
# print their lines as they come, each prefixed with the step's name.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

status=0
declare -A steps=()

# Runs "$@" in the background as step $1, its output in $logs/$1.log and on the console.
start_step() {
  local name=$1
  shift
  ( set -o pipefail; "$@" 2>&1 | tee "$logs/$name.log" | sed -u "s/^/[$name] /" ) &
  steps[$name]=$!
}

# Waits for the named steps; a failed one fails the run.
wait_steps() {
  local name
  for name in "$@"; do
    wait "${steps[$name]}" || status=$?
  done
}

# The tools install from their lock files (mostly waiting on the package mirror) while the
# solution builds (CPU): the Cosmos DB test server (tools/cosmos-test-server), Azurite
# (tools/azurite, the Azure Storage emulator of the blob attachment store tests) and axe-core
# (tools/axe, which the web console's browser tests inject). The .NET tests start the servers
# themselves (Azurite over HTTPS with OAuth on).
node_tools() {
  local tool
  for tool in cosmos-test-server/node_modules/@vercel/cosmosdb-server/package.json \
    azurite/node_modules/azurite/package.json axe/node_modules/axe-core/axe.min.js; do
    if [ ! -f "tools/$tool" ]; then
      (cd "tools/${tool%%/*}" && npm ci --no-audit --no-fund)
    fi
  done
}

# The web console's browser tests (tests/Helpdesk.Web.Tests) drive Debian's chromium through
# Playwright (no browser download).
browser() {
  if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  fi
}

start_step node-tools node_tools
start_step browser browser
dotnet build Helpdesk.Functions.sln --nologo 2>&1 | tee "$logs/build.log" || status=$?
wait_steps node-tools browser
if [ "$status" -ne 0 ]; then
  echo "The build or a tool install failed; no test was run." >&2
  exit "$status"
fi

# The Cosmos DB test server's own compatibility tests (node's test runner), after the build: they
# start the server with a 15 s limit, which a machine busy compiling can miss.
(cd tools/cosmos-test-server && npm test 2>&1) | tee "$logs/cosmos-server.log" || status=$?

# The HTTP tests of the capabilities whose stores all have a Cosmos DB implementation, once more
# with Storage:Provider = cosmos, on the Cosmos DB test server, so they are proven on both
# engines: the foundation (tickets, directory, hosting, triggers), the ticket's items
# (conversation, time, expenses, activities, attachments, approvals), surveys, the customer context,
# webhooks, merges, deletion, calendar push, knowledge (resolutions, articles), the outcome
# notifications, the ticket dashboard (Reports), SLA, the customer portal and the email channel
# (Mail, re-threading included).
# The other folders' stores are SQLite-only so far (docs/adr/0004-cosmos-containers.md). The
# query-plan test of the contacts index reads SQLite's plan, so it runs on SQLite only.
cosmos_tests='(FullyQualifiedName~Helpdesk.Api.Tests.Tickets.|FullyQualifiedName~Helpdesk.Api.Tests.Directory.|FullyQualifiedName~Helpdesk.Api.Tests.Hosting.|FullyQualifiedName~Helpdesk.Api.Tests.Triggers.|FullyQualifiedName~Helpdesk.Api.Tests.Conversation.|FullyQualifiedName~Helpdesk.Api.Tests.Time.|FullyQualifiedName~Helpdesk.Api.Tests.Expenses.|FullyQualifiedName~Helpdesk.Api.Tests.Activities.|FullyQualifiedName~Helpdesk.Api.Tests.Interventions.|FullyQualifiedName~Helpdesk.Api.Tests.Attachments.|FullyQualifiedName~Helpdesk.Api.Tests.Satisfaction.|FullyQualifiedName~Helpdesk.Api.Tests.CustomerContext.|FullyQualifiedName~Helpdesk.Api.Tests.Approvals.|FullyQualifiedName~Helpdesk.Api.Tests.Webhooks.|FullyQualifiedName~Helpdesk.Api.Tests.Merge.|FullyQualifiedName~Helpdesk.Api.Tests.Deletion.|FullyQualifiedName~Helpdesk.Api.Tests.Calendar.|FullyQualifiedName~Helpdesk.Api.Tests.Knowledge.|FullyQualifiedName~Helpdesk.Api.Tests.Outcomes.|FullyQualifiedName~Helpdesk.Api.Tests.Notifications.|FullyQualifiedName~Helpdesk.Api.Tests.Reports.|FullyQualifiedName~Helpdesk.Api.Tests.Mail.|FullyQualifiedName~Helpdesk.Api.Tests.Sla.|FullyQualifiedName~Helpdesk.Api.Tests.Portal.)&FullyQualifiedName!~The_contacts_of_an_account_are_read_through_an_index'

# HELPDESK_TEST_RESULTS=DIR keeps a .trx file per test assembly and pass there (sqlite_*.trx,
# cosmos_*.trx), with every test's duration (README, "Tests": how to find slow tests).
trx() {
  if [ -n "${HELPDESK_TEST_RESULTS:-}" ]; then
    echo "--logger" "trx;LogFilePrefix=$1" "--results-directory" "$HELPDESK_TEST_RESULTS"
  fi
}

# The two passes run side by side, so the second can use what the first leaves idle of the cores
# while its tests wait on their store (SQLite's file, the node test server) or on the processes
# they start (README, "How long the tests take").
# shellcheck disable=SC2046 # trx's words are split on purpose (none holds a space unless DIR does)
start_step sqlite env HELPDESK_TEST_ERROR_LOG="$logs/sqlite.errors" \
  dotnet test Helpdesk.Functions.sln --no-build --nologo $(trx sqlite)
# shellcheck disable=SC2046
start_step cosmos env HELPDESK_TEST_ERROR_LOG="$logs/cosmos.errors" HELPDESK_TEST_STORE=cosmos \
  dotnet test tests/Helpdesk.Api.Tests --no-build --nologo --filter "$cosmos_tests" $(trx cosmos)
wait_steps sqlite cosmos

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
  END { printf "%d %d %d\n", p, f, s }' "$logs"/*.log)
# Errors the app logged while under test (tests/Helpdesk.Api.Tests/Infrastructure/ServerErrorLog.cs),
# one file per pass: the unhandled ones behind a 500 are printed when a run fails.
errors=("$logs"/*.errors)
if [ "$failed" -gt 0 ] && [ -e "${errors[0]}" ] && grep -q "Unhandled error on" "${errors[@]}"; then
  echo
  echo "Unhandled server errors logged during the run (the first 300 lines):"
  awk '/^--- / { keep = 0 } /^--- .*ProblemExceptionHandler/ { keep = 1 } keep' "${errors[@]}" | head -300
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
