using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using static Helpdesk.Api.Tests.Time.TimeEntryTests;

namespace Helpdesk.Api.Tests.Activities;

public sealed class ActivityTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task The_creator_owns_an_activity_and_its_planning_is_in_the_ticket_history()
    {
        var (adaId, ada) = await app.AgentAsync("ada.plan@activity.test");
        var url = await TicketUrlAsync(ada);

        var created = await ada.PostAsJsonAsync($"{url}/activities", new { kind = "call", title = "Call Alice back", dueAt = Later(2) });

        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var activity = await created.Json();
        created.Headers.Location!.ToString().ShouldBe($"{url}/activities/{activity["id"]}");
        activity["details"]!["ownerId"]!.GetValue<string>().ShouldBe(adaId);
        activity["createdBy"]!.GetValue<string>().ShouldBe(adaId);
        activity["done"]!.GetValue<bool>().ShouldBeFalse();
        (await (await ada.GetAsync($"{url}/activities")).Json())["items"]!.AsArray().Count.ShouldBe(1);
        var planned = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray().Last()!;
        planned["action"]!.GetValue<string>().ShouldBe("activityPlanned");
        planned["note"]!.GetValue<string>().ShouldBe("Call Alice back");
    }

    [Fact]
    public async Task The_owner_is_changeable_and_the_new_owner_may_mark_it_done_once()
    {
        var (_, ada) = await app.AgentAsync("ada.owner@activity.test");
        var (bobId, bob) = await app.AgentAsync("bob.owner@activity.test");
        var (_, cid) = await app.AgentAsync("cid.owner@activity.test");
        var url = await TicketUrlAsync(ada);
        var activityUrl = (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Order a part" })).Headers.Location!.ToString();

        await (await cid.PostAsync($"{activityUrl}/done", null)).ShouldBeProblem(403);
        var moved = await Send(ada, HttpMethod.Put, activityUrl, "\"1\"", new { kind = "task", title = "Order a part", ownerId = bobId });
        (await moved.Json())["details"]!["ownerId"]!.GetValue<string>().ShouldBe(bobId);
        var done = await (await bob.PostAsync($"{activityUrl}/done", null)).Json();
        done["done"]!.GetValue<bool>().ShouldBeTrue();
        done["doneAt"].ShouldNotBeNull();
        await (await bob.PostAsync($"{activityUrl}/done", null)).ShouldBeProblem(409);
        var history = (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray();
        history.Select(h => h!["action"]!.GetValue<string>()).TakeLast(2).ShouldBe(["activityChanged", "activityDone"]);
    }

    [Fact]
    public async Task An_activity_is_checked_field_by_field()
    {
        var (_, ada) = await app.AgentAsync("ada.invalid@activity.test");
        var url = await TicketUrlAsync(ada);

        var empty = await ada.PostAsJsonAsync($"{url}/activities", new { });
        await empty.ShouldBeProblem(400);
        (await empty.Json())["errors"]!.AsObject().Select(e => e.Key).ShouldBe(["kind", "title"], ignoreOrder: true);
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "event", title = "Visit" })).ShouldBeProblem(400, "startAt");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "event", title = "Visit", startAt = Later(5), endAt = Later(4) })).ShouldBeProblem(400, "endAt");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "meeting", title = "Visit" })).ShouldBeProblem(400, "kind");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "x", ownerId = "agt_nobody" })).ShouldBeProblem(400, "ownerId");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "x", dueAt = "tomorrow" })).ShouldBeProblem(400, "dueAt");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "x", dueAt = Later(2), reminder = new { at = Later(1), channels = Array.Empty<string>() } })).ShouldBeProblem(400, "reminder.channels");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "x", dueAt = Later(2), reminder = new { at = Later(1), channels = new[] { "pigeon" } } })).ShouldBeProblem(400);
        var sms = await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Text Alice", dueAt = Later(2), reminder = new { at = Later(1), channels = new[] { "email", "sms" } } });
        (await sms.Content.ReadAsStringAsync()).ShouldContain("No SMS provider is configured");
        await sms.ShouldBeProblem(400, "reminder.channels");
    }

    [Fact]
    public async Task Reminders_are_only_for_activities_dated_in_the_future()
    {
        var (_, ada) = await app.AgentAsync("ada.past@activity.test");
        var url = await TicketUrlAsync(ada);
        var email = new[] { "email" };

        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Undated", reminder = new { at = Later(1), channels = email } })).ShouldBeProblem(400, "reminder");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Past", dueAt = Later(-1), reminder = new { at = Later(-2), channels = email } })).ShouldBeProblem(400, "reminder");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Late reminder", dueAt = Later(2), reminder = new { at = Later(3), channels = email } })).ShouldBeProblem(400, "reminder.at");
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Reminder in the past", dueAt = Later(2), reminder = new { at = Later(-1), channels = email } })).ShouldBeProblem(400, "reminder.at");
    }

    [Fact]
    public async Task A_due_reminder_fires_exactly_once_into_the_outbox()
    {
        var (adaId, ada) = await app.AgentAsync("ada.remind@activity.test");
        var url = await TicketUrlAsync(ada);
        var activity = await (await ada.PostAsJsonAsync(
            $"{url}/activities",
            new { kind = "event", title = "On-site visit", startAt = Later(3), endAt = Later(4), onSite = true, location = "Contoso HQ", reminder = new { at = Later(2), channels = new[] { "email", "popup" } } })).Json();
        var activityId = activity["id"]!.GetValue<string>();

        await FireAsync();
        (await RemindersAsync(url, activityId)).ShouldBeEmpty("the reminder is not due yet");

        app.Clock.Advance(TimeSpan.FromHours(2));
        await FireAsync();
        await FireAsync();
        app.Clock.Advance(TimeSpan.FromHours(1));
        await FireAsync();

        var fired = await RemindersAsync(url, activityId);
        fired.Count.ShouldBe(1);
        var data = fired[0]["data"]!;
        data["ownerId"]!.GetValue<string>().ShouldBe(adaId);
        data["channels"]!.GetValue<string>().ShouldBe("email,popup");
        data["title"]!.GetValue<string>().ShouldBe("On-site visit");
        (await (await ada.GetAsync($"{url}/activities/{activityId}")).Json())["reminderSentAt"].ShouldNotBeNull();
    }

    [Fact]
    public async Task A_done_activity_never_reminds_and_a_moved_reminder_fires_again()
    {
        var (_, ada) = await app.AgentAsync("ada.moved@activity.test");
        var url = await TicketUrlAsync(ada);
        var done = await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Done early", dueAt = Later(3), reminder = new { at = Later(1), channels = new[] { "email" } } })).Json();
        var moved = await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Moved", dueAt = Later(3), reminder = new { at = Later(1), channels = new[] { "popup" } } })).Json();
        await ada.PostAsync($"{url}/activities/{done["id"]}/done", null);

        app.Clock.Advance(TimeSpan.FromHours(1));
        await FireAsync();
        var etag = (await ada.GetAsync($"{url}/activities/{moved["id"]}")).Headers.ETag!.Tag;
        (await Send(ada, HttpMethod.Put, $"{url}/activities/{moved["id"]}", etag, new { kind = "task", title = "Moved", dueAt = Later(3), reminder = new { at = Later(1), channels = new[] { "popup" } } })).EnsureSuccessStatusCode();
        app.Clock.Advance(TimeSpan.FromHours(1));
        await FireAsync();

        (await RemindersAsync(url, done["id"]!.GetValue<string>())).ShouldBeEmpty();
        (await RemindersAsync(url, moved["id"]!.GetValue<string>())).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Activities_follow_roles_if_match_and_the_closed_ticket_rule()
    {
        var (_, ada) = await app.AgentAsync("ada.rules@activity.test");
        var url = await TicketUrlAsync(ada);
        var activityUrl = (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Check" })).Headers.Location!.ToString();

        (await app.ClientFor(Roles.Customer, "alice@contoso.com", "con_1").GetAsync($"{url}/activities")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.CreateClient().GetAsync($"{url}/activities")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await ada.GetAsync("/api/tickets/tkt_missing/activities")).ShouldBeProblem(404);
        await (await ada.GetAsync($"{url}/activities/act_missing")).ShouldBeProblem(404);
        await (await Send(ada, HttpMethod.Put, activityUrl, null, new { kind = "task", title = "Check" })).ShouldBeProblem(428);
        await (await Send(ada, HttpMethod.Delete, activityUrl, "\"4\"")).ShouldBeProblem(412);
        (await ada.PostAsync($"{url}/close", null)).EnsureSuccessStatusCode();
        await (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Too late" })).ShouldBeProblem(409);
        await (await Send(ada, HttpMethod.Delete, activityUrl, "\"1\"")).ShouldBeProblem(409);
    }

    [Fact]
    public async Task A_supervisor_deletes_any_activity()
    {
        var (_, ada) = await app.AgentAsync("ada.delete@activity.test");
        var (_, sue) = await app.AgentAsync("sue.delete@activity.test", Roles.Supervisor);
        var url = await TicketUrlAsync(ada);
        var activityUrl = (await ada.PostAsJsonAsync($"{url}/activities", new { kind = "task", title = "Check" })).Headers.Location!.ToString();

        (await Send(sue, HttpMethod.Delete, activityUrl, "\"1\"")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await ada.GetAsync(activityUrl)).ShouldBeProblem(404);
        (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray().Last()!["action"]!.GetValue<string>().ShouldBe("activityRemoved");
    }

    private string Later(int hours) => app.Clock.GetUtcNow().AddHours(hours).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private async Task FireAsync() =>
        (await app.CreateClient().PostAsync("/FireActivityReminders", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

    private async Task<List<JsonNode>> RemindersAsync(string ticketUrl, string activityId) =>
        [.. (await app.StoredEventsAsync(ticketUrl.Split('/')[^1]))
            .Where(e => e["type"]!.GetValue<string>() == "activity.reminder" && e["data"]!["activityId"]!.GetValue<string>() == activityId)];
}
