using System.Net;
using System.Net.Http.Json;
using System.Text;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using static Helpdesk.Api.Tests.Time.TimeEntryTests;

namespace Helpdesk.Api.Tests.Expenses;

public sealed class CostLineTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task Lines_are_rounded_to_the_currency_and_totalled_per_currency()
    {
        var (_, ada) = await app.AgentAsync("ada.lines@cost.test");
        var url = await TicketUrlAsync(ada);

        var travel = await ada.PostAsJsonAsync($"{url}/cost-lines", new { kind = "expense", description = "Travel to site", quantity = 3, unitPrice = 19.999m, currency = "EUR", billable = true });
        await ada.PostAsJsonAsync($"{url}/cost-lines", new { kind = "product", description = "Toner", quantity = 1, unitPrice = 0.005m, currency = "EUR", billable = false });
        await ada.PostAsJsonAsync($"{url}/cost-lines", new { kind = "product", description = "Cable", quantity = 2.5m, unitPrice = 101, currency = "JPY", billable = true });
        await ada.PostAsJsonAsync($"{url}/cost-lines", new { kind = "expense", description = "Fee", quantity = 1, unitPrice = 1.0005m, currency = "KWD", billable = true });

        travel.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await travel.Json())["amount"]!.GetValue<decimal>().ShouldBe(60.00m, "3 × 19.999 = 59.997, rounded to cents");
        var list = await (await ada.GetAsync($"{url}/cost-lines")).Json();
        list["items"]!.AsArray().Count.ShouldBe(4);
        var totals = list["totals"]!.AsArray();
        totals.Select(t => t!["currency"]!.GetValue<string>()).ShouldBe(["EUR", "JPY", "KWD"]);
        totals[0]!["amount"]!.GetValue<decimal>().ShouldBe(60.01m, "0.005 rounds half away from zero to 0.01");
        totals[0]!["billableAmount"]!.GetValue<decimal>().ShouldBe(60.00m);
        totals[1]!["amount"]!.GetValue<decimal>().ShouldBe(253m, "yen have no minor unit: 252.5 → 253");
        totals[2]!["amount"]!.GetValue<decimal>().ShouldBe(1.001m, "dinars have three decimals");

        var history = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray();
        var added = history.Single(h => h!["note"]?.GetValue<string>() == "Travel to site")!;
        added["action"]!.GetValue<string>().ShouldBe("lineAdded");
        added["changes"]!.AsArray().ShouldContain(c => c!["field"]!.GetValue<string>() == "amount" && c["to"]!.GetValue<string>() == "60.00");
    }

    [Fact]
    public async Task A_line_needs_a_known_currency_a_positive_quantity_and_every_field_is_named()
    {
        var (_, ada) = await app.AgentAsync("ada.badline@cost.test");
        var url = await TicketUrlAsync(ada);

        var empty = await ada.PostAsJsonAsync($"{url}/cost-lines", new { });
        await empty.ShouldBeProblem(400);
        (await empty.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["kind", "description", "quantity", "unitPrice", "currency", "billable"], ignoreOrder: true);
        await (await ada.PostAsJsonAsync($"{url}/cost-lines", Line(currency: "eur"))).ShouldBeProblem(400, "currency");
        await (await ada.PostAsJsonAsync($"{url}/cost-lines", Line(currency: "XYZ"))).ShouldBeProblem(400, "currency");
        await (await ada.PostAsJsonAsync($"{url}/cost-lines", Line(quantity: 0))).ShouldBeProblem(400, "quantity");
        await (await ada.PostAsJsonAsync($"{url}/cost-lines", Line(quantity: 1.00001m))).ShouldBeProblem(400, "quantity");
        await (await ada.PostAsJsonAsync($"{url}/cost-lines", Line(unitPrice: -1))).ShouldBeProblem(400, "unitPrice");
        await (await ada.PostAsJsonAsync($"{url}/cost-lines", new { kind = "gift", description = "x", quantity = 1, unitPrice = 1, currency = "EUR", billable = true })).ShouldBeProblem(400, "kind");
        await (await ada.PostAsJsonAsync($"{url}/cost-lines", new { kind = "product", description = "x", quantity = "one", unitPrice = 1, currency = "EUR", billable = true })).ShouldBeProblem(400, "quantity");
    }

    [Fact]
    public async Task Only_the_author_or_a_supervisor_changes_a_line_and_with_the_current_if_match()
    {
        var (_, ada) = await app.AgentAsync("ada.editline@cost.test");
        var (_, bob) = await app.AgentAsync("bob.editline@cost.test");
        var (_, sue) = await app.AgentAsync("sue.editline@cost.test", Roles.Supervisor);
        var url = await TicketUrlAsync(ada);
        var lineUrl = (await ada.PostAsJsonAsync($"{url}/cost-lines", Line())).Headers.Location!.ToString();

        await (await Send(bob, HttpMethod.Put, lineUrl, "\"1\"", Line(quantity: 2))).ShouldBeProblem(403);
        await (await Send(ada, HttpMethod.Put, lineUrl, null, Line(quantity: 2))).ShouldBeProblem(428);
        await (await Send(ada, HttpMethod.Put, lineUrl, "\"5\"", Line(quantity: 2))).ShouldBeProblem(412);
        var changed = await Send(sue, HttpMethod.Put, lineUrl, "\"1\"", Line(quantity: 2));
        changed.Headers.ETag!.Tag.ShouldBe("\"2\"");
        (await changed.Json())["amount"]!.GetValue<decimal>().ShouldBe(25m);
        (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray().Last()!["changes"]!.AsArray()
            .Select(c => c!["field"]!.GetValue<string>()).ShouldBe(["quantity", "amount"]);

        await (await Send(bob, HttpMethod.Delete, lineUrl, "\"2\"")).ShouldBeProblem(403);
        await (await Send(ada, HttpMethod.Delete, lineUrl, "\"1\"")).ShouldBeProblem(412);
        (await Send(ada, HttpMethod.Delete, lineUrl, "\"2\"")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await ada.GetAsync(lineUrl)).ShouldBeProblem(404);
        (await (await ada.GetAsync($"{url}/cost-lines")).Json())["totals"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Lines_follow_the_closed_ticket_rule_and_the_roles()
    {
        var (_, ada) = await app.AgentAsync("ada.closedline@cost.test");
        var url = await TicketUrlAsync(ada);
        (await ada.PostAsync($"{url}/close", null)).EnsureSuccessStatusCode();

        await (await ada.PostAsJsonAsync($"{url}/cost-lines", Line())).ShouldBeProblem(409);
        (await app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1").GetAsync($"{url}/cost-lines")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync($"{url}/cost-lines")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await ada.GetAsync("/api/tickets/tkt_missing/cost-lines")).ShouldBeProblem(404);
        await (await ada.PostAsJsonAsync("/api/tickets/tkt_missing/cost-lines", Line())).ShouldBeProblem(404);
    }

    [Fact]
    public async Task The_monthly_report_totals_expenses_per_currency_and_account()
    {
        var (_, ada) = await app.AgentAsync("ada.reportline@cost.test");
        var account = await app.AccountAsync("Lines Inc", "lines-inc.test");
        var url = await TicketUrlAsync(ada, account);
        await ada.PostAsJsonAsync($"{url}/cost-lines", Line(unitPrice: 10.10m, date: "2026-09-01"));
        await ada.PostAsJsonAsync($"{url}/cost-lines", Line(unitPrice: 5.05m, billable: false, date: "2026-09-30"));
        await ada.PostAsJsonAsync($"{url}/cost-lines", Line(unitPrice: 99m, date: "2026-10-01"));
        await ada.PostAsJsonAsync($"{url}/cost-lines", Line(unitPrice: 7m, currency: "USD", date: "2026-09-15"));
        var supervisor = app.ClientFor(Roles.Supervisor, "sue.reportline@cost.test");

        var report = await (await supervisor.GetAsync("/api/reports/time?month=2026-09")).Json();
        var csv = await (await supervisor.GetAsync("/api/reports/time?month=2026-09&format=csv")).Content.ReadAsByteArrayAsync();

        var expenses = report["expenses"]!.AsArray();
        expenses.Select(e => e!["currency"]!.GetValue<string>()).ShouldBe(["EUR", "USD"]);
        expenses[0]!["amount"]!.GetValue<decimal>().ShouldBe(15.15m);
        expenses[0]!["billableAmount"]!.GetValue<decimal>().ShouldBe(10.10m);
        report["expensesByAccount"]![0]!["name"]!.GetValue<string>().ShouldBe("Lines Inc");
        var lines = Encoding.UTF8.GetString(csv, 3, csv.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var eur = lines.Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second))
            .Single(r => r["section"] == "expenses" && r["currency"] == "EUR");
        eur["amount"].ShouldBe("15.15");
        eur["billableAmount"].ShouldBe("10.10");
    }

    private static object Line(decimal quantity = 1, decimal unitPrice = 12.5m, string currency = "EUR", bool billable = true, string? date = null) =>
        new { kind = "expense", description = "Travel", quantity, unitPrice, currency, billable, date };
}
