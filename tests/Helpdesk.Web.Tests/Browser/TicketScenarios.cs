using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Helpdesk.Web.Tests.Browser;

/// <summary>
/// The browser scenarios: an agent working a ticket from the unassigned view to resolved,
/// a customer in the portal who sees the agent's reply and never the internal note, and a stale
/// edit that says who changed the ticket. Real browser, real API, demo data.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TicketScenarios(ConsoleServer server)
{
    [Fact]
    public async Task An_agent_triages_the_unassigned_view_takes_a_ticket_replies_with_a_file_adds_a_note_logs_time_and_resolves()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("bob@helpdesk.example");
            await page.WaitForURLAsync("**/views/open");
            await page.Locator("nav").GetByText("Unassigned", new() { Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/views/unassigned");
            // The heading changes in the same render that empties the previous view's rows.
            await Expect(page.Locator("h1")).ToHaveTextAsync("Unassigned");
            var first = page.Locator("table.ticket-list a.ticket-link").First;
            await first.WaitForAsync();
            var number = await first.TextContentAsync();
            await first.ClickAsync();

            await page.Locator("h1 .ticket-number").WaitForAsync();
            (await page.Locator("h1 .ticket-number").TextContentAsync()).ShouldBe(number);
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();

            await Button(page, "Take").ClickAsync();
            await Expect(page.GetByTestId("status")).ToHaveTextAsync("Assigned");
            await Expect(page.Locator("#assignee")).ToHaveValueAsync("agt_bob");

            await page.Locator("#message-body").FillAsync("We are looking into it and will come back to you today.");
            await page.Locator("#reply-files").SetInputFilesAsync(new FilePayload { Name = "steps.txt", MimeType = "text/plain", Buffer = "1. Open the export\n2. Pick November\n"u8.ToArray() });
            await Button(page, "Send reply").ClickAsync();
            var reply = page.Locator(".message-public", new() { HasText = "We are looking into it" });
            await Expect(reply).ToBeVisibleAsync();
            await Expect(reply.Locator(".message-files")).ToContainTextAsync("steps.txt");

            await page.GetByLabel("Internal note").CheckAsync();
            await page.Locator("#message-body").FillAsync("The customer still runs the old client; check the version first.");
            await Button(page, "Add internal note").ClickAsync();
            var note = page.Locator(".message-internal", new() { HasText = "old client" });
            await Expect(note).ToBeVisibleAsync();
            (await note.Locator(".message-kind").TextContentAsync()).ShouldBe("Internal note");

            await page.Locator(".time-form input[name=minutes]").FillAsync("30");
            await page.Locator(".time-form input[name=note]").FillAsync("Diagnosis");
            await Button(page, "Log time").ClickAsync();
            await Expect(page.GetByTestId("time-total")).ToContainTextAsync("Total 0.50 h");
            await Expect(page.Locator(".time-entries")).ToContainTextAsync("Diagnosis");

            await page.Locator("#resolution").FillAsync("Updated the client; the customer confirmed it works.");
            await Button(page, "Resolve").ClickAsync();
            await Expect(page.GetByTestId("status")).ToHaveTextAsync("Resolved");
            await Expect(page.Locator(".history")).ToContainTextAsync("Resolved", new() { IgnoreCase = true });
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
            // The one refusal the browser may log: a take or resolve sent while the SLA scan recorded a
            // breach on the ticket (a new version that changes no field), which the page sends again.
            console.Errors.Where(e => !e.Contains("status of 412", StringComparison.Ordinal)).ShouldBeEmpty();
        });
    }

    [Fact]
    public async Task A_customer_opens_a_ticket_in_the_portal_sees_the_reply_but_never_the_note_and_reopens_it_by_replying()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("marc@contoso.com");
            await page.WaitForURLAsync("**/portal");
            await page.GetByRole(AriaRole.Link, new() { Name = "New ticket" }).ClickAsync();
            await page.WaitForURLAsync("**/portal/new");

            await Button(page, "Submit").ClickAsync();
            await Expect(page.Locator("#subject-error")).Not.ToBeEmptyAsync();
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();

            await page.Locator("#subject").FillAsync("The invoice export is empty");
            await page.Locator("#description").FillAsync("Since Monday the CSV export of invoices has no rows.");
            await Button(page, "Submit").ClickAsync();
            await page.WaitForURLAsync("**/portal/tickets/**");
            await Expect(page.Locator("h1")).ToContainTextAsync("The invoice export is empty");
            var ticketId = page.Url[(page.Url.LastIndexOf('/') + 1)..];

            using (var agent = await ServerApi.SignInAsync(server, "ada@helpdesk.example", "agent"))
            {
                await agent.PostAsync($"api/tickets/{ticketId}/take");
                await agent.PostAsync($"api/tickets/{ticketId}/messages", new { visibility = "public", body = "Fixed on our side: please export again." });
                await agent.PostAsync($"api/tickets/{ticketId}/messages", new { visibility = "internal", body = "Root cause was the nightly job; do not tell the customer yet." });
                await agent.PostAsync($"api/tickets/{ticketId}/resolve", new { summary = "Nightly job restarted." });
            }

            await page.ReloadAsync();
            await Expect(page.Locator(".message", new() { HasText = "please export again" })).ToBeVisibleAsync();
            (await page.Locator(".thread").InnerTextAsync()).ShouldNotContain("nightly job", Case.Insensitive);
            (await page.ContentAsync()).ShouldNotContain("do not tell the customer");
            (await page.Locator(".message-internal").CountAsync()).ShouldBe(0);
            await Expect(page.GetByTestId("status")).ToHaveTextAsync("Resolved");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();

            await page.Locator("#reply-body").FillAsync("It is empty again this morning.");
            await Button(page, "Send reply").ClickAsync();
            await Expect(page.Locator(".message", new() { HasText = "empty again this morning" })).ToBeVisibleAsync();
            await Expect(page.GetByTestId("status")).Not.ToHaveTextAsync("Resolved");
            // The one error the browser logs is the API's refusal of the empty form above.
            console.Errors.ShouldBe(["Failed to load resource: the server responded with a status of 400 (Bad Request)"]);
        });
    }

    [Fact]
    public async Task A_stale_edit_says_who_changed_the_ticket_and_reloads_it()
    {
        const string ticket = "t_demo_03";
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("ada@helpdesk.example");
            await page.WaitForURLAsync("**/views/open");
            await page.GotoAsync($"tickets/{ticket}");
            await page.Locator("#priority").WaitForAsync();

            using (var supervisor = await ServerApi.SignInAsync(server, "sam@helpdesk.example", "supervisor"))
            {
                var etag = await supervisor.ETagAsync($"api/tickets/{ticket}");
                await supervisor.PatchAsync($"api/tickets/{ticket}", new { priority = "high" }, etag);
            }

            await page.Locator("#priority").SelectOptionAsync("urgent");
            var conflict = page.GetByTestId("conflict");
            await Expect(conflict).ToContainTextAsync("Sam Senior changed this ticket since you opened it");

            await conflict.Locator("fluent-button", new() { HasText = "Reload" }).ClickAsync();
            await Expect(conflict).ToHaveCountAsync(0);
            await Expect(page.Locator("#priority")).ToHaveValueAsync("high");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
        });
    }

    [Fact]
    public async Task A_view_filtered_by_assignee_lists_what_the_api_lists_for_the_same_filter()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("sam@helpdesk.example");
            await page.WaitForURLAsync("**/views/open");
            await page.Locator("nav").GetByText("All", new() { Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/views/all");
            await page.Locator("table.ticket-list a.ticket-link").First.WaitForAsync();

            await page.GetByLabel("Assignee").SelectOptionAsync(new SelectOptionValue { Label = "Ada Lovelace" });
            await Button(page, "Apply").ClickAsync();
            await page.WaitForURLAsync("**/views/all?assigneeId=agt_ada");

            List<string> expected;
            using (var supervisor = await ServerApi.SignInAsync(server, "sam@helpdesk.example", "supervisor"))
            {
                var listed = await supervisor.GetAsync("api/tickets?view=all&assigneeId=agt_ada&limit=50");
                expected = [.. listed["items"]!.AsArray().Select(t => t!["number"]!.GetValue<string>())];
            }

            expected.ShouldNotBeEmpty("the demo data assigns tickets to Ada");
            await Expect(page.Locator("table.ticket-list a.ticket-link")).ToHaveTextAsync(expected);
            (await page.GetByLabel("Assignee").InputValueAsync()).ShouldBe("agt_ada");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
            console.Errors.ShouldBeEmpty();
        });
    }

    [Fact]
    public async Task A_supervisor_reads_the_ticket_dashboard_as_charts_and_downloads_its_csv_and_an_agent_cannot_open_it()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("sam@helpdesk.example");
            await page.WaitForURLAsync("**/views/open");
            await page.GotoAsync("dashboards/tickets");
            var charts = page.Locator("figure.bar-chart");
            await Expect(charts).ToHaveCountAsync(2);

            var from = await page.Locator("input[name=from]").InputValueAsync();
            var to = DateOnly.Parse(await page.Locator("input[name=to]").InputValueAsync(), CultureInfo.InvariantCulture).AddDays(1);
            JsonObject report;
            using (var supervisor = await ServerApi.SignInAsync(server, "sam@helpdesk.example", "supervisor"))
            {
                report = await supervisor.GetAsync($"api/reports/tickets?from={from}&to={to:yyyy-MM-dd}&groupBy=status");
            }

            var groups = report["groups"]!.AsArray();
            groups.Count.ShouldBeGreaterThan(0, "the demo data has tickets in several statuses");
            await Expect(charts.First.Locator("rect.bar")).ToHaveCountAsync(groups.Count);
            await Expect(page.Locator("[data-figure=backlog]")).ToHaveTextAsync(report["totals"]!["backlog"]!.GetValue<int>().ToString("N0", CultureInfo.GetCultureInfo("en-US")));
            await Expect(charts.First.Locator("svg")).ToHaveAttributeAsync("aria-label", new Regex("^Backlog by status: "));
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();

            var download = await page.RunAndWaitForDownloadAsync(() => Button(page, "Download CSV").ClickAsync());
            download.SuggestedFilename.ShouldStartWith("tickets-");
            var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
            csv.ShouldStartWith("section,group,name,created,resolved,backlog");
            csv.ShouldContain("\r\ntotal,");
            console.Errors.ShouldBeEmpty();
        });

        await using var agent = await ConsolePage.OpenAsync(server);
        await agent.RunAsync(async page =>
        {
            await agent.SignInAsync("bob@helpdesk.example");
            await page.WaitForURLAsync("**/views/open");
            await page.GotoAsync("dashboards/tickets");
            await Expect(page.GetByText("You do not have access to this page.")).ToBeVisibleAsync();
            (await page.Locator("figure.bar-chart").CountAsync()).ShouldBe(0);
        });
    }

    /// <summary>A Fluent UI button by its whole text.</summary>
    private static ILocator Button(IPage page, string name) =>
        page.Locator("fluent-button", new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(name)}\\s*$") });

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
