using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;
using static Helpdesk.Api.Tests.Time.TimeEntryTests;

namespace Helpdesk.Api.Tests.Calendar;

/// <summary>On-site visits pushed to the owner's Outlook calendar through the fake Graph, after the request, through the event queue.</summary>
public sealed class CalendarPushTests : IAsyncLifetime
{
    private FakeGraphServer _graph = null!;
    private HelpdeskApp _app = null!;

    public async Task InitializeAsync()
    {
        _graph = await FakeGraphServer.StartAsync();
        _app = new HelpdeskApp()
            .With("Mail:Graph:BaseUrl", _graph.BaseUrl)
            .With("Mail:Graph:Authentication", "none")
            .With("Resilience:GraphRetryDelay", "00:00:00.010")
            .With("Calendar:PushOnSiteVisits", "true");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _graph.DisposeAsync();
    }

    [Fact]
    public async Task A_visit_lands_once_in_the_owners_calendar_follows_its_changes_and_leaves_when_removed()
    {
        var (_, ada) = await _app.AgentAsync("ada@calendar.test");
        var (owenId, _) = await _app.AgentAsync("owen@calendar.test");
        var url = await TicketUrlAsync(ada);
        var created = await ada.PostAsJsonAsync($"{url}/activities", Visit(owenId, "Replace the fuser", 24));
        var activityUrl = created.Headers.Location!.ToString();

        _graph.Calendar.ShouldBeEmpty("nothing is pushed inside the request");
        await PumpAsync();
        await PumpAsync();

        var pushed = _graph.Calendar.ShouldHaveSingleItem();
        pushed.User.ShouldBe("owen@calendar.test");
        pushed.Body["subject"]!.GetValue<string>().ShouldStartWith("Replace the fuser [");
        pushed.Body["location"]!["displayName"]!.GetValue<string>().ShouldBe("Contoso HQ");
        pushed.Body["start"]!["dateTime"]!.GetValue<string>().ShouldStartWith(At(24));
        pushed.Body["start"]!["timeZone"]!.GetValue<string>().ShouldBe("UTC");
        pushed.Body["reminderMinutesBeforeStart"]!.GetValue<int>().ShouldBe(60);

        (await Send(ada, HttpMethod.Put, activityUrl, "\"1\"", Visit(owenId, "Replace the fuser", 48))).EnsureSuccessStatusCode();
        await PumpAsync();

        var moved = _graph.Calendar.ShouldHaveSingleItem();
        moved.Body["id"]!.GetValue<string>().ShouldBe(pushed.Body["id"]!.GetValue<string>());
        moved.Body["start"]!["dateTime"]!.GetValue<string>().ShouldStartWith(At(48));
        _graph.Requests.Count(r => r.StartsWith("POST /users/", StringComparison.Ordinal)).ShouldBe(1);

        (await Send(ada, HttpMethod.Delete, activityUrl, "\"2\"")).EnsureSuccessStatusCode();
        await PumpAsync();

        _graph.Calendar.ShouldBeEmpty();
    }

    [Fact]
    public async Task Purging_a_ticket_takes_its_visits_out_of_the_owners_calendars()
    {
        var (_, ada) = await _app.AgentAsync("ada.purge@calendar.test");
        var (owenId, _) = await _app.AgentAsync("owen.purge@calendar.test");
        var url = await TicketUrlAsync(ada);
        var kept = await TicketUrlAsync(ada);
        (await ada.PostAsJsonAsync($"{url}/activities", Visit(owenId, "Replace the fuser", 24))).EnsureSuccessStatusCode();
        (await ada.PostAsJsonAsync($"{url}/activities", Visit(owenId, "Check the fuser", 48))).EnsureSuccessStatusCode();
        (await ada.PostAsJsonAsync($"{kept}/activities", Visit(owenId, "Other visit", 72))).EnsureSuccessStatusCode();
        await PumpAsync();
        await PumpAsync();
        _graph.Calendar.Count.ShouldBe(3);

        (await _app.Admin.PostAsync($"{url}/purge", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        _graph.Calendar.ShouldHaveSingleItem().Body["subject"]!.GetValue<string>().ShouldStartWith("Other visit [");
    }

    [Fact]
    public async Task A_new_owner_gets_the_visit_and_the_old_one_loses_it()
    {
        var (_, ada) = await _app.AgentAsync("ada@calendar.test");
        var (owenId, _) = await _app.AgentAsync("owen@calendar.test");
        var (paulId, _) = await _app.AgentAsync("paul@calendar.test");
        var url = await TicketUrlAsync(ada);
        var activityUrl = (await ada.PostAsJsonAsync($"{url}/activities", Visit(owenId, "Install", 24))).Headers.Location!.ToString();
        await PumpAsync();

        (await Send(ada, HttpMethod.Put, activityUrl, "\"1\"", Visit(paulId, "Install", 24))).EnsureSuccessStatusCode();
        await PumpAsync();

        _graph.Calendar.ShouldHaveSingleItem().User.ShouldBe("paul@calendar.test");
    }

    [Fact]
    public async Task Tasks_and_remote_events_stay_out_of_the_calendar()
    {
        var (_, ada) = await _app.AgentAsync("ada@calendar.test");
        var url = await TicketUrlAsync(ada);
        (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Order the part", dueAt = Later(24) })).EnsureSuccessStatusCode();
        (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "event", title = "Video call", startAt = Later(24), endAt = Later(25), onSite = false })).EnsureSuccessStatusCode();
        var visitUrl = (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "event", title = "Visit", startAt = Later(24), endAt = Later(25), onSite = true })).Headers.Location!.ToString();
        await PumpAsync();
        _graph.Calendar.ShouldHaveSingleItem();

        (await Send(ada, HttpMethod.Put, visitUrl, "\"1\"", new { kind = "event", title = "Visit", startAt = Later(24), endAt = Later(25), onSite = false })).EnsureSuccessStatusCode();
        await PumpAsync();

        _graph.Calendar.ShouldBeEmpty("a visit that is no longer on site leaves the calendar");
    }

    [Fact]
    public async Task A_throttled_graph_is_waited_out_and_still_gets_one_event()
    {
        _graph.RetryAfterSeconds = 1;
        _graph.Throttle("/events", 1);
        var (adaId, ada) = await _app.AgentAsync("ada@calendar.test");
        var url = await TicketUrlAsync(ada);
        (await ada.PostAsJsonAsync($"{url}/activities", Visit(adaId, "Visit", 24))).EnsureSuccessStatusCode();

        await PumpAsync();
        await PumpAsync();

        _graph.Requests.Count(r => r.StartsWith("POST /users/", StringComparison.Ordinal)).ShouldBe(2);
        _graph.Calendar.ShouldHaveSingleItem().User.ShouldBe("ada@calendar.test");
    }

    [Fact]
    public async Task Without_the_setting_nothing_is_pushed()
    {
        await using var quiet = new HelpdeskApp().With("Mail:Graph:BaseUrl", _graph.BaseUrl).With("Mail:Graph:Authentication", "none");
        var (adaId, ada) = await quiet.AgentAsync("ada@calendar.test");
        var url = await TicketUrlAsync(ada);
        (await ada.PostAsJsonAsync($"{url}/activities", Visit(adaId, "Visit", 24))).EnsureSuccessStatusCode();
        await using (var scope = quiet.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }

        _graph.Requests.ShouldBeEmpty();
    }

    private object Visit(string ownerId, string title, int hoursAhead) => new
    {
        kind = "event",
        title,
        ownerId,
        startAt = Later(hoursAhead),
        endAt = Later(hoursAhead + 2),
        onSite = true,
        location = "Contoso HQ",
        reminder = new { at = Later(hoursAhead - 1), channels = new[] { "popup" } },
    };

    private string Later(int hours) => At(hours) + "Z";

    private string At(int hours) => _app.Clock.GetUtcNow().AddHours(hours).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);

    private async Task PumpAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
    }
}
