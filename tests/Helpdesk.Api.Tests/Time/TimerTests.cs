using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Tests.Infrastructure;
using static Helpdesk.Api.Tests.Time.TimeEntryTests;

namespace Helpdesk.Api.Tests.Time;

public sealed class TimerTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    [Fact]
    public async Task Stopping_the_timer_records_the_elapsed_minutes_on_the_ticket()
    {
        var (adaId, ada) = await app.AgentAsync("ada.stop@timer.test");
        var url = await TicketUrlAsync(ada);

        var started = await (await ada.PostAsync($"{url}/timer/start", null)).Json();
        app.Clock.Advance(TimeSpan.FromMinutes(25) + TimeSpan.FromSeconds(31));
        var stopped = await ada.PostAsync($"{url}/timer/stop", null);

        started["agentId"]!.GetValue<string>().ShouldBe(adaId);
        started["stopped"].ShouldBeNull();
        stopped.StatusCode.ShouldBe(HttpStatusCode.Created);
        var entry = await stopped.Json();
        entry["minutes"]!.GetValue<int>().ShouldBe(26, "rounded to the nearest minute");
        entry["source"]!.GetValue<string>().ShouldBe("timer");
        entry["billable"]!.GetValue<bool>().ShouldBeTrue();
        entry["capped"]!.GetValue<bool>().ShouldBeFalse();
        (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray().Last()!["action"]!.GetValue<string>().ShouldBe("timeLogged");
        await (await ada.PostAsync($"{url}/timer/stop", null)).ShouldBeProblem(409);
    }

    [Fact]
    public async Task A_timer_stopped_at_once_still_records_one_minute()
    {
        var (_, ada) = await app.AgentAsync("ada.instant@timer.test");
        var url = await TicketUrlAsync(ada);

        await ada.PostAsync($"{url}/timer/start", null);
        var entry = await (await ada.PostAsync($"{url}/timer/stop", null)).Json();

        entry["minutes"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public async Task Starting_a_timer_on_another_ticket_stops_and_records_the_first()
    {
        var (_, ada) = await app.AgentAsync("ada.switch@timer.test");
        var first = await TicketUrlAsync(ada);
        var second = await TicketUrlAsync(ada);

        await ada.PostAsync($"{first}/timer/start", null);
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        var again = await (await ada.PostAsync($"{first}/timer/start", null)).Json();
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        var switched = await (await ada.PostAsync($"{second}/timer/start", null)).Json();

        again["stopped"].ShouldBeNull("starting the running timer again changes nothing");
        switched["ticketId"]!.GetValue<string>().ShouldBe(second.Split('/').Last());
        switched["stopped"]!["minutes"]!.GetValue<int>().ShouldBe(20);
        switched["stopped"]!["ticketId"]!.GetValue<string>().ShouldBe(first.Split('/').Last());
        (await (await ada.GetAsync($"{first}/time-entries")).Json())["totals"]!["minutes"]!.GetValue<long>().ShouldBe(20);
        await (await ada.PostAsync($"{first}/timer/stop", null)).ShouldBeProblem(409);
        (await ada.PostAsync($"{second}/timer/stop", null)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Each_agent_has_their_own_timer()
    {
        var (_, ada) = await app.AgentAsync("ada.own@timer.test");
        var (_, bob) = await app.AgentAsync("bob.own@timer.test");
        var url = await TicketUrlAsync(ada);

        await ada.PostAsync($"{url}/timer/start", null);

        await (await bob.PostAsync($"{url}/timer/stop", null)).ShouldBeProblem(409);
        (await ada.PostAsync($"{url}/timer/stop", null)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_timer_left_running_is_capped_and_flagged()
    {
        var (_, ada) = await app.AgentAsync("ada.forgot@timer.test");
        var url = await TicketUrlAsync(ada);

        await ada.PostAsync($"{url}/timer/start", null);
        app.Clock.Advance(TimeSpan.FromHours(30));
        var entry = await (await ada.PostAsync($"{url}/timer/stop", null)).Json();

        entry["minutes"]!.GetValue<int>().ShouldBe(600, "the default cap is ten hours");
        entry["capped"]!.GetValue<bool>().ShouldBeTrue();
        entry["note"]!.GetValue<string>().ShouldContain("capped");
    }

    [Fact]
    public async Task A_discarded_timer_records_nothing()
    {
        var (_, ada) = await app.AgentAsync("ada.discard@timer.test");
        var url = await TicketUrlAsync(ada);

        await ada.PostAsync($"{url}/timer/start", null);
        (await ada.DeleteAsync($"{url}/timer")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await (await ada.DeleteAsync($"{url}/timer")).ShouldBeProblem(409);
        (await (await ada.GetAsync($"{url}/time-entries")).Json())["items"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Heartbeats_gather_a_draft_that_counts_once_confirmed()
    {
        var (_, ada) = await app.AgentAsync("ada.beat@timer.test");
        var url = await TicketUrlAsync(ada);

        (await (await ada.PostAsync($"{url}/presence", null)).Json())["draft"].ShouldBeNull();
        for (var i = 0; i < 3; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(60));
            await ada.PostAsync($"{url}/presence", null);
        }

        app.Clock.Advance(TimeSpan.FromMinutes(30));
        var afterBreak = await (await ada.PostAsync($"{url}/presence", null)).Json();
        app.Clock.Advance(TimeSpan.FromSeconds(90));
        var last = await (await ada.PostAsync($"{url}/presence", null)).Json();

        afterBreak["seconds"]!.GetValue<long>().ShouldBe(180, "a gap longer than two minutes is time away");
        last["seconds"]!.GetValue<long>().ShouldBe(270);
        var draft = last["draft"]!;
        draft["minutes"]!.GetValue<int>().ShouldBe(5, "270 seconds are 4.5 minutes, counted up");
        draft["draft"]!.GetValue<bool>().ShouldBeTrue();
        draft["billable"]!.GetValue<bool>().ShouldBeFalse();
        (await (await ada.GetAsync($"{url}/time-entries")).Json())["totals"]!["minutes"]!.GetValue<long>().ShouldBe(0, "a draft counts nowhere");

        var confirmed = await ada.PostAsJsonAsync($"{url}/time-entries/{draft["id"]}/confirm", new { billable = true });
        (await confirmed.Json())["draft"]!.GetValue<bool>().ShouldBeFalse();
        var list = await (await ada.GetAsync($"{url}/time-entries")).Json();
        list["totals"]!["billableMinutes"]!.GetValue<long>().ShouldBe(5);
        await (await ada.PostAsJsonAsync($"{url}/time-entries/{draft["id"]}/confirm", new { billable = true })).ShouldBeProblem(409);

        app.Clock.Advance(TimeSpan.FromSeconds(30));
        (await (await ada.PostAsync($"{url}/presence", null)).Json())["seconds"]!.GetValue<long>().ShouldBe(0, "counting starts afresh after a confirmation");
    }

    [Fact]
    public async Task A_draft_is_confirmed_or_deleted_only_by_its_agent_and_never_edited()
    {
        var (_, ada) = await app.AgentAsync("ada.draft@timer.test");
        var (_, bob) = await app.AgentAsync("bob.draft@timer.test");
        var url = await TicketUrlAsync(ada);
        await ada.PostAsync($"{url}/presence", null);
        app.Clock.Advance(TimeSpan.FromSeconds(30));
        var draft = (await (await ada.PostAsync($"{url}/presence", null)).Json())["draft"]!;
        var draftUrl = $"{url}/time-entries/{draft["id"]}";

        await (await bob.PostAsJsonAsync($"{draftUrl}/confirm", new { billable = true })).ShouldBeProblem(403);
        await (await Send(ada, HttpMethod.Put, draftUrl, "\"1\"", new { minutes = 50, billable = true })).ShouldBeProblem(409);
        (await Send(ada, HttpMethod.Delete, draftUrl, "\"1\"")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await (await ada.GetAsync($"{url}/history")).Json())["items"]!.AsArray().ShouldNotContain(h => h!["action"]!.GetValue<string>().StartsWith("time", StringComparison.Ordinal));
    }
}
