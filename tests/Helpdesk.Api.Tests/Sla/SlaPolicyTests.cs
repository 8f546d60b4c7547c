using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Sla;

public sealed class SlaPolicyTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    private static readonly object ParisWeek = new
    {
        monday = new[] { new { start = "09:00", end = "12:30" }, new { start = "13:30", end = "18:00" } },
        tuesday = new[] { new { start = "09:00", end = "18:00" } },
        wednesday = new[] { new { start = "09:00", end = "18:00" } },
        thursday = new[] { new { start = "09:00", end = "18:00" } },
        friday = new[] { new { start = "09:00", end = "17:00" } },
    };

    [Fact]
    public async Task The_default_policy_is_the_priority_table_and_is_editable()
    {
        var response = await app.Admin.GetAsync("/api/sla-policies/sla_default");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var policy = await response.Json();
        policy["targets"]!["urgent"]!["firstResponse"]!.GetValue<int>().ShouldBe(60);
        policy["targets"]!["urgent"]!["resolution"]!.GetValue<int>().ShouldBe(240);
        policy["targets"]!["low"]!["resolution"]!.GetValue<int>().ShouldBe(7 * 24 * 60);
        policy["pausingStatuses"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["waitingOnCustomer"]);
    }

    [Fact]
    public async Task A_policy_can_count_in_a_business_calendar()
    {
        var calendar = await app.Admin.PostAsJsonAsync("/api/calendars", new
        {
            name = "Paris office",
            timeZone = "Europe/Paris",
            week = ParisWeek,
            holidays = new object[] { new { from = "2026-12-25", name = "Christmas" }, new { from = "2026-08-10", to = "2026-08-21", name = "Summer closing" } },
        });
        calendar.StatusCode.ShouldBe(HttpStatusCode.Created, await calendar.Content.ReadAsStringAsync());
        var calendarId = (await calendar.Json())["id"]!.GetValue<string>();

        var policy = await app.Admin.PostAsJsonAsync("/api/sla-policies", new
        {
            name = "Gold customers",
            order = 10,
            conditions = new { accountIds = new[] { "acc_gold" }, minimumPriority = "high" },
            calendarId,
            targets = new { urgent = new { firstResponse = 30, resolution = 120, reachStatus = new[] { new { status = "inProgress", withinMinutes = 15 } } } },
            escalations = new[] { new { target = "resolution", when = "breach", actions = new[] { new { type = "notify", notify = "supervisors" } } } },
        });

        policy.StatusCode.ShouldBe(HttpStatusCode.Created, await policy.Content.ReadAsStringAsync());
        (await policy.Json())["calendarId"]!.GetValue<string>().ShouldBe(calendarId);
    }

    [Fact]
    public async Task A_calendar_with_an_unknown_zone_or_overlapping_hours_is_refused()
    {
        var response = await app.Admin.PostAsJsonAsync("/api/calendars", new
        {
            name = "Broken",
            timeZone = "Mars/Olympus",
            week = new { monday = new[] { new { start = "09:00", end = "12:00" }, new { start = "11:00", end = "14:00" } }, funday = Array.Empty<object>() },
            holidays = new[] { new { from = "2026-13-01" } },
        });

        await response.ShouldBeProblem(400);
        var fields = (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ToArray();
        fields.ShouldContain("timeZone");
        fields.ShouldContain(f => f.StartsWith("week", StringComparison.Ordinal));
        fields.ShouldContain(f => f.StartsWith("holidays", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_policy_with_impossible_targets_is_refused_field_by_field()
    {
        var response = await app.Admin.PostAsJsonAsync("/api/sla-policies", new
        {
            name = "",
            targets = new { critical = new { firstResponse = 0 } },
            warningThreshold = 1.5,
            chatFirstResponseMinutes = 0,
            pausingStatuses = new[] { "sleeping" },
            calendarId = "cal_missing",
            escalations = new[] { new { target = "resolution", when = "afterBreach", actions = Array.Empty<object>() } },
        });

        await response.ShouldBeProblem(400);
        var fields = (await response.Json())["errors"]!.AsObject().Select(e => e.Key).ToArray();
        fields.ShouldContain("name");
        fields.ShouldContain("warningThreshold");
        fields.ShouldContain("chatFirstResponseMinutes");
        fields.ShouldContain(f => f.StartsWith("targets", StringComparison.Ordinal));
        fields.ShouldContain(f => f.StartsWith("pausingStatuses", StringComparison.Ordinal));
        fields.ShouldContain(f => f.StartsWith("escalations", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_policy_must_use_an_existing_calendar()
    {
        var response = await app.Admin.PostAsJsonAsync("/api/sla-policies", new { name = "Ghost calendar", calendarId = "cal_missing", targets = new { low = new { resolution = 60 } } });

        await response.ShouldBeProblem(400, "calendarId");
    }

    [Fact]
    public async Task Only_admins_change_policies()
    {
        await (await app.ClientFor(Roles.Supervisor).PostAsJsonAsync("/api/sla-policies", new { name = "x", targets = new { low = new { resolution = 60 } } })).ShouldBeProblem(403);
        (await app.ClientFor(Roles.Agent).GetAsync("/api/sla-policies")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
