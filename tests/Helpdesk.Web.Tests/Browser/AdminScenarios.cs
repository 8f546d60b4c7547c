using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace Helpdesk.Web.Tests.Browser;

/// <summary>
/// The admin pages in a real browser against the real API: an admin edits a team and an SLA
/// policy (the API's reasons shown beside the field, a change made meanwhile refused and named),
/// an admin edits a canned response and releases a quarantined mail, and a supervisor is refused
/// the admin pages.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class AdminScenarios(ConsoleServer server)
{
    [Fact]
    public async Task An_admin_edits_a_team_and_an_sla_policy_and_a_stale_save_is_refused()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("admin@helpdesk.example");
            await page.WaitForURLAsync(url => !url.Contains("sign-in", StringComparison.Ordinal));
            await page.Locator("nav").GetByText("Teams", new() { Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/admin/teams");
            var experts = page.Locator("tr[data-id='team_experts']");
            await Expect(experts).ToContainTextAsync("Experts");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();

            await experts.Locator("fluent-button").ClickAsync();
            await Expect(page.Locator("#team-name")).ToHaveValueAsync("Experts");
            await page.Locator("#team-name").FillAsync("Experts (level 2)");
            await page.Locator("#team-lead").SelectOptionAsync("agt_ada");
            await Button(page, "Save").ClickAsync();
            await Expect(page.GetByTestId("saved")).ToContainTextAsync("Experts (level 2)");
            await Expect(experts).ToContainTextAsync("Ada Lovelace");

            using var other = await ServerApi.SignInAsync(server, "admin@helpdesk.example", "admin");
            (await other.GetAsync("api/teams/team_experts"))["leadAgentId"]!.GetValue<string>().ShouldBe("agt_ada");

            // Someone else saves the team between this page's read and its save: refused, not overwritten.
            await experts.Locator("fluent-button").ClickAsync();
            await Expect(page.Locator("#team-name")).ToHaveValueAsync("Experts (level 2)");
            await other.PutAsync("api/teams/team_experts", new { name = "Experts", leadAgentId = "agt_sam", active = true }, await other.ETagAsync("api/teams/team_experts"));
            await page.Locator("#team-name").FillAsync("Experts (stale)");
            await Button(page, "Save").ClickAsync();
            await Expect(page.GetByTestId("action-error")).ToContainTextAsync("Someone changed this since you opened it");
            (await other.GetAsync("api/teams/team_experts"))["name"]!.GetValue<string>().ShouldBe("Experts");

            // An inactive policy: editing it changes no ticket's SLA while the other browser tests run.
            var created = await other.PostAsync("api/sla-policies", new
            {
                name = "Weekend support",
                order = 500,
                active = false,
                pausingStatuses = new[] { "waitingOnCustomer" },
                targets = new Dictionary<string, object>
                {
                    ["urgent"] = new { firstResponse = 60, nextResponse = 120, resolution = 480 },
                    ["low"] = new { firstResponse = 1440, resolution = 10080 },
                },
            });
            var policyId = created["id"]!.GetValue<string>();
            await page.Locator("nav").GetByText("SLA policies", new() { Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/admin/sla");
            var policy = page.Locator($"tr[data-id='{policyId}']");
            await policy.Locator("fluent-button").ClickAsync();
            await Expect(page.Locator("#policy-name")).ToHaveValueAsync("Weekend support");
            await page.Locator("#policy-warning").FillAsync("1.5");
            await Button(page, "Save").ClickAsync();
            await Expect(page.Locator("#policy-warning-error")).ToContainTextAsync("between 0 and 1");

            await page.Locator("#policy-warning").FillAsync("0.3");
            await page.Locator("input[name='low-resolution']").FillAsync("20160");
            await page.Locator("#policy-name").FillAsync("Weekend support (two weeks for low)");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
            await Button(page, "Save").ClickAsync();
            await Expect(page.GetByTestId("saved")).ToContainTextAsync("two weeks for low");
            await Expect(policy).ToContainTextAsync("two weeks for low");

            var saved = await other.GetAsync($"api/sla-policies/{policyId}");
            saved["warningThreshold"]!.GetValue<double>().ShouldBe(0.3);
            saved["active"]!.GetValue<bool>().ShouldBeFalse();
            saved["order"]!.GetValue<int>().ShouldBe(500);
            saved["targets"]!["low"]!["resolution"]!.GetValue<int>().ShouldBe(20160);
            saved["targets"]!["urgent"]!["nextResponse"]!.GetValue<int>().ShouldBe(120);
            saved["pausingStatuses"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["waitingOnCustomer"]);
            // The two refusals the browser logs are the API's 400 and 412 above.
            console.Errors.Count.ShouldBe(2);
        });
    }

    [Fact]
    public async Task An_admin_edits_a_canned_response_and_releases_a_quarantined_mail()
    {
        using var other = await ServerApi.SignInAsync(server, "admin@helpdesk.example", "admin");
        var canned = await other.PostAsync("api/canned-responses", new { name = "Export fix", body = "<p>Hello {{requester.name}},</p>", active = true });
        var cannedId = canned["id"]!.GetValue<string>();
        var mailId = await QuarantineAsync("burst@fabrikam.example", "Out of office: the export");

        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("admin@helpdesk.example");
            await page.WaitForURLAsync(url => !url.Contains("sign-in", StringComparison.Ordinal));
            await page.Locator("nav").GetByText("Canned responses", new() { Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/admin/canned");
            var row = page.Locator($"tr[data-id='{cannedId}']");
            await Expect(row).ToContainTextAsync("Export fix");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();

            await row.Locator("fluent-button").ClickAsync();
            await Expect(page.Locator("#canned-name")).ToHaveValueAsync("Export fix");
            await page.Locator("#canned-body").FillAsync("<p>Hello {{requester.nickname}},</p>");
            await Button(page, "Save").ClickAsync();
            await Expect(page.Locator("#canned-body-error")).ToContainTextAsync("requester.nickname");

            await page.Locator("#canned-body").FillAsync("<p>Hello {{requester.name}}, the export is fixed in {{ticket.number}}.</p>");
            await page.Locator("#canned-name").FillAsync("Export fixed");
            await Button(page, "Save").ClickAsync();
            await Expect(page.GetByTestId("saved")).ToContainTextAsync("Export fixed");
            await Expect(row).ToContainTextAsync("Export fixed");
            (await other.GetAsync($"api/canned-responses/{cannedId}"))["body"]!.GetValue<string>().ShouldContain("{{ticket.number}}");

            await page.Locator("nav").GetByText("Mail quarantine", new() { Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/admin/quarantine");
            var mail = page.Locator($"tr[data-id='{mailId}']");
            await Expect(mail).ToContainTextAsync("Out of office: the export");
            await Expect(mail).ToContainTextAsync("burst@fabrikam.example");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
            await Button(mail, "Release").ClickAsync();
            await Expect(page.GetByTestId("done")).ToContainTextAsync("Out of office: the export released");
            await Expect(mail).ToHaveCountAsync(0);
            (await other.GetAsync($"api/mail/inbound/{mailId}"))["state"]!.GetValue<string>().ShouldNotBe("quarantined");

            await page.Locator("nav").GetByText("Notification templates", new() { Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/admin/templates");
            await page.Locator("table[data-testid='templates'] fluent-button").First.ClickAsync();
            await Expect(page.Locator("#template-subject")).Not.ToHaveValueAsync("");
            await Expect(page.GetByTestId("template-preview")).ToBeVisibleAsync();
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();

            await page.Locator("nav").GetByText("Dead letters", new() { Exact = true }).ClickAsync();
            await page.WaitForURLAsync("**/admin/deadletters");
            await Expect(page.Locator("h2").First).ToHaveTextAsync("Inbound mail");
            (await console.AccessibilityViolationsAsync()).ShouldBeEmpty();
            // The one refusal the browser logs is the API's 400 for the unknown placeholder.
            console.Errors.Count.ShouldBe(1);
        });
    }

    /// <summary>
    /// A mail the firewall held back, as the ingestion records it: only a Graph mailbox brings mail
    /// in, and the test server has none, so it is written in the API's own journal.
    /// </summary>
    private async Task<long> QuarantineAsync(string from, string subject)
    {
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(server.DataFolder, "helpdesk.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO mail_inbound (mailbox, graph_id, source, state, next_attempt_at, reason, from_address, subject, received_at, processed_at)
            VALUES ('support', $graphId, 'notification', 'quarantined', $now, 'More than 20 mails from this sender in 10 minutes.', $from, $subject, $now, $now)
            RETURNING seq
            """;
        command.Parameters.AddWithValue("$graphId", Guid.NewGuid().ToString("N"));
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$subject", subject);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_supervisor_cannot_open_the_admin_pages()
    {
        await using var console = await ConsolePage.OpenAsync(server);
        await console.RunAsync(async page =>
        {
            await console.SignInAsync("sam@helpdesk.example");
            await page.WaitForURLAsync("**/views/open");
            (await page.Locator("nav").InnerTextAsync()).ShouldNotContain("SLA policies");
            await page.GotoAsync("admin/teams");
            await Expect(page.GetByText("You do not have access to this page.")).ToBeVisibleAsync();
            (await page.Locator("table[data-testid='teams']").CountAsync()).ShouldBe(0);
        });
    }

    private static ILocator Button(IPage page, string name) =>
        page.Locator("fluent-button", new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(name)}\\s*$") });

    private static ILocator Button(ILocator scope, string name) =>
        scope.Locator("fluent-button", new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(name)}\\s*$") });

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
