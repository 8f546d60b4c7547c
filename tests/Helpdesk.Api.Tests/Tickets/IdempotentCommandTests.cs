using System.Net;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Tickets;

/// <summary>
/// Idempotency-Key on every state-changing POST, not only creations: a retry gets the first
/// answer and changes nothing again; the key is scoped to the caller, the method and the path.
/// </summary>
public sealed class IdempotentCommandTests(HelpdeskApp app) : IClassFixture<HelpdeskApp>
{
    public static TheoryData<string> Commands =>
    [
        "read", "start", "take", "wait", "assign", "escalate", "resolve", "close", "reopen", "note", "reply", "time", "approval", "decision", "merge", "activity-done",
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_retried_command_gets_the_first_answer_and_changes_nothing_again(string command)
    {
        var (agentId, agent) = await app.AgentAsync($"retry.{command}@idem.test");
        var ticketId = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
        var (url, body, changed, caller) = await PrepareAsync(command, ticketId, agentId, agent);
        var key = Guid.NewGuid().ToString();

        var first = await SendAsync(caller, url, key, body);
        var before = await StateAsync(agent, changed);
        var second = await SendAsync(caller, url, key, body);

        first.IsSuccessStatusCode.ShouldBeTrue(await first.Content.ReadAsStringAsync());
        second.StatusCode.ShouldBe(first.StatusCode);
        second.Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).ShouldBe(["true"]);
        second.Headers.ETag.ShouldBe(first.Headers.ETag);
        second.Headers.Location.ShouldBe(first.Headers.Location);
        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        (await StateAsync(agent, changed)).ShouldBe(before, "the replay changed nothing: same version, same history");
    }

    [Fact]
    public async Task A_retried_escalation_adds_one_note_and_one_event()
    {
        var (samId, _) = await app.AgentAsync("sam.once@idem.test", Roles.Supervisor);
        var (_, ada) = await app.AgentAsync("ada.once@idem.test");
        var ticketId = (await ada.OpenTicketAsync())["id"]!.GetValue<string>();

        for (var attempt = 0; attempt < 3; attempt++)
        {
            (await SendAsync(ada, $"/api/tickets/{ticketId}/escalate", "escalate-once", new { toAgentId = samId, note = "Customer threatens to leave" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await (await ada.GetAsync($"/api/tickets/{ticketId}/messages")).Json())["items"]!.AsArray().Count.ShouldBe(1);
        (await app.StoredEventsAsync(ticketId)).Count(e => e["type"]!.GetValue<string>() == "ticket.escalated").ShouldBe(1, "one event: one notification, one email");
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_a_422_naming_the_header_and_changes_nothing()
    {
        var (agentId, agent) = await app.AgentAsync("mismatch@idem.test");
        var (otherId, _) = await app.AgentAsync("mismatch.other@idem.test");
        var ticketId = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
        var url = $"/api/tickets/{ticketId}/assign";

        (await SendAsync(agent, url, "assign-1", new { assigneeId = agentId })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var reused = await SendAsync(agent, url, "assign-1", new { assigneeId = otherId });

        await reused.ShouldBeProblem(422, "Idempotency-Key");
        (await reused.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:idempotency-key-reused");
        (await (await agent.GetAsync($"/api/tickets/{ticketId}")).Json())["assigneeId"]!.GetValue<string>().ShouldBe(agentId);
    }

    [Fact]
    public async Task A_key_belongs_to_its_caller_and_its_route()
    {
        var (_, ada) = await app.AgentAsync("ada.scope@idem.test");
        var (_, bob) = await app.AgentAsync("bob.scope@idem.test");
        var ticketId = (await ada.OpenTicketAsync())["id"]!.GetValue<string>();
        var note = new { visibility = "internal", body = "Same words" };

        (await SendAsync(ada, $"/api/tickets/{ticketId}/messages", "shared-key", note)).StatusCode.ShouldBe(HttpStatusCode.Created);
        var bobs = await SendAsync(bob, $"/api/tickets/{ticketId}/messages", "shared-key", note);
        var resolved = await SendAsync(ada, $"/api/tickets/{ticketId}/resolve", "shared-key", new { summary = "Done" });

        bobs.StatusCode.ShouldBe(HttpStatusCode.Created);
        bobs.Headers.Contains(IdempotencyMiddleware.ReplayedHeader).ShouldBeFalse();
        resolved.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await resolved.Json())["status"]!.GetValue<string>().ShouldBe("resolved");
        (await (await ada.GetAsync($"/api/tickets/{ticketId}/messages")).Json())["items"]!.AsArray().Count.ShouldBe(2);
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_run_once_the_others_wait_with_409_and_retry_after()
    {
        var (samId, _) = await app.AgentAsync("sam.race@idem.test", Roles.Supervisor);
        var (_, ada) = await app.AgentAsync("ada.race@idem.test");
        var ticketId = (await ada.OpenTicketAsync())["id"]!.GetValue<string>();
        var body = new { toAgentId = samId, note = "All at once" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => SendAsync(ada, $"/api/tickets/{ticketId}/escalate", "race-key", body)));

        foreach (var answer in answers.Where(a => a.StatusCode != HttpStatusCode.OK))
        {
            await answer.ShouldBeProblem(409);
            (await answer.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:idempotency-key-in-progress");
            answer.Headers.RetryAfter.ShouldNotBeNull();
        }

        answers.Count(a => a.StatusCode == HttpStatusCode.OK).ShouldBeGreaterThanOrEqualTo(1);
        answers.Where(a => a.StatusCode == HttpStatusCode.OK).Select(a => a.Content.ReadAsStringAsync().Result).Distinct().Count().ShouldBe(1);
        (await app.StoredEventsAsync(ticketId)).Count(e => e["type"]!.GetValue<string>() == "ticket.escalated").ShouldBe(1);
        (await SendAsync(ada, $"/api/tickets/{ticketId}/escalate", "race-key", body)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_key_that_is_not_printable_or_too_long_is_a_400_naming_the_header()
    {
        var agent = app.ClientFor(Roles.Agent);
        var ticketId = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();

        await (await SendAsync(agent, $"/api/tickets/{ticketId}/read", new string('k', 256), new { })).ShouldBeProblem(400, "Idempotency-Key");
    }

    [Fact]
    public async Task Every_post_documents_the_header_and_the_refusals_of_a_reused_key()
    {
        var document = await (await app.CreateClient().GetAsync("/api/openapi/v1.json")).Json();

        var posts = document["paths"]!.AsObject()
            .Where(p => p.Key.StartsWith("/api/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Where(o => o.Key == "post").Select(o => (Path: p.Key, Operation: o.Value!)))
            .ToList();

        posts.Count.ShouldBeGreaterThan(40);
        foreach (var (path, operation) in posts)
        {
            operation["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ShouldContain("Idempotency-Key", path);
            operation["responses"]!.AsObject().Select(r => r.Key).ShouldContain("409", path);
            operation["responses"]!.AsObject().Select(r => r.Key).ShouldContain("422", path);
        }
    }

    /// <summary>The URL and body of <paramref name="command"/>, on a ticket prepared for it, the URL of what it changes and who sends it.</summary>
    private async Task<(string Url, object Body, string Changed, HttpClient Caller)> PrepareAsync(string command, string ticketId, string agentId, HttpClient agent)
    {
        var ticket = $"/api/tickets/{ticketId}";
        switch (command)
        {
            case "assign":
                return ($"{ticket}/assign", new { assigneeId = agentId }, ticket, agent);
            case "escalate":
                var (samId, _) = await app.AgentAsync($"sam.{Guid.NewGuid():N}@idem.test", Roles.Supervisor);
                return ($"{ticket}/escalate", new { toAgentId = samId, note = "Needs Sam" }, ticket, agent);
            case "resolve":
                return ($"{ticket}/resolve", new { summary = "Fixed", notifyCustomer = true }, ticket, agent);
            case "close":
                return ($"{ticket}/close", new { notifyCustomer = false }, ticket, agent);
            case "reopen":
                (await agent.PostAsJsonAsync($"{ticket}/resolve", new { summary = "Fixed" })).EnsureSuccessStatusCode();
                return ($"{ticket}/reopen", new { }, ticket, agent);
            case "note":
                return ($"{ticket}/messages", new { visibility = "internal", body = "Checked the logs" }, ticket, agent);
            case "reply":
                return ($"{ticket}/messages", new { visibility = "public", body = "We are on it" }, ticket, agent);
            case "time":
                return ($"{ticket}/time-entries", new { minutes = 30, billable = true }, ticket, agent);
            case "approval":
                var (approverId, _) = await app.AgentAsync($"approver.{Guid.NewGuid():N}@idem.test", Roles.Supervisor);
                return ($"{ticket}/approvals", new { approverId, reason = "Refund 50 EUR" }, ticket, agent);
            case "decision":
                var (deciderId, decider) = await app.AgentAsync($"decider.{Guid.NewGuid():N}@idem.test", Roles.Supervisor);
                var requested = await agent.PostAsJsonAsync($"{ticket}/approvals", new { approverId = deciderId, reason = "Refund 80 EUR" });
                requested.EnsureSuccessStatusCode();
                var approvalId = (await requested.Json())["id"]!.GetValue<string>();
                return ($"/api/approvals/{approvalId}/approve", new { comment = "Fine" }, ticket, decider);
            case "merge":
                var intoId = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
                return ($"{ticket}/merge", new { intoId }, $"/api/tickets/{intoId}", agent);
            case "activity-done":
                var activity = await agent.PostAsJsonAsync($"{ticket}/activities", new { kind = "call", title = "Call Alice", dueAt = app.Clock.GetUtcNow().AddDays(1) });
                activity.EnsureSuccessStatusCode();
                return ($"{ticket}/activities/{(await activity.Json())["id"]}/done", new { }, ticket, agent);
            default:
                return ($"{ticket}/{command}", new { }, ticket, agent);
        }
    }

    /// <summary>The version and history length of a ticket: what any change of it moves.</summary>
    private static async Task<string> StateAsync(HttpClient client, string ticketUrl)
    {
        var read = await client.GetAsync(ticketUrl);
        read.EnsureSuccessStatusCode();
        var history = await (await client.GetAsync($"{ticketUrl}/history?limit=200")).Json();
        return $"{read.Headers.ETag} {history["items"]!.AsArray().Count}";
    }

    internal static Task<HttpResponseMessage> SendAsync(HttpClient client, string url, string key, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Add(IdempotencyMiddleware.Header, key);
        return client.SendAsync(request);
    }
}

/// <summary>
/// A request whose change was stored but whose answer never was (the process stopped in
/// between): its key stays reserved, a retry meanwhile is told to wait, and a retry after the
/// reservation is abandoned finds the change's receipt, stored with the change through the write
/// path, and does not make the change again.
/// </summary>
public sealed class LostAnswerIdempotencyTests : IDisposable
{
    private readonly HelpdeskApp _app = new HelpdeskApp().WithServices(services =>
    {
        var original = services.Last(d => d.ServiceType == typeof(IIdempotencyStore));
        services.Remove(original);
        services.AddSingleton<IIdempotencyStore>(sp => new AnswerLostOnce((IIdempotencyStore)original.ImplementationFactory!(sp)));
    });

    [Fact]
    public async Task A_retried_escalation_whose_answer_was_lost_answers_the_ticket_and_escalates_once()
    {
        var (samId, _) = await _app.AgentAsync("sam.lost@idem.test", Roles.Supervisor);
        var (_, ada) = await _app.AgentAsync("ada.lost@idem.test");
        var ticketId = (await ada.OpenTicketAsync())["id"]!.GetValue<string>();
        var url = $"/api/tickets/{ticketId}/escalate";
        var body = new { toAgentId = samId, note = "Lost answer" };
        LoseNextAnswer();

        (await IdempotentCommandTests.SendAsync(ada, url, "lost-escalation", body)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var meanwhile = await IdempotentCommandTests.SendAsync(ada, url, "lost-escalation", body);
        _app.Clock.Advance(TimeSpan.FromMinutes(3));
        var retried = await IdempotentCommandTests.SendAsync(ada, url, "lost-escalation", body);

        await meanwhile.ShouldBeProblem(409);
        meanwhile.Headers.RetryAfter.ShouldNotBeNull();
        retried.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await retried.Json())["id"]!.GetValue<string>().ShouldBe(ticketId);
        retried.Headers.ETag.ShouldBe((await ada.GetAsync($"/api/tickets/{ticketId}")).Headers.ETag);
        (await (await ada.GetAsync($"/api/tickets/{ticketId}/messages")).Json())["items"]!.AsArray().Count.ShouldBe(1);
        (await _app.StoredEventsAsync(ticketId)).Count(e => e["type"]!.GetValue<string>() == "ticket.escalated").ShouldBe(1);
        (await IdempotentCommandTests.SendAsync(ada, url, "lost-escalation", body)).Headers.GetValues(IdempotencyMiddleware.ReplayedHeader).ShouldBe(["true"]);
    }

    [Fact]
    public async Task A_retried_note_whose_answer_was_lost_is_refused_as_already_applied_and_added_once()
    {
        var agent = _app.ClientFor(Roles.Agent);
        var ticketId = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
        var url = $"/api/tickets/{ticketId}/messages";
        var body = new { visibility = "internal", body = "Written once" };
        LoseNextAnswer();

        (await IdempotentCommandTests.SendAsync(agent, url, "lost-note", body)).StatusCode.ShouldBe(HttpStatusCode.Created);
        _app.Clock.Advance(TimeSpan.FromMinutes(3));
        var retried = await IdempotentCommandTests.SendAsync(agent, url, "lost-note", body);

        await retried.ShouldBeProblem(409);
        (await retried.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:idempotency-key-applied");
        (await (await agent.GetAsync(url)).Json())["items"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_retried_creation_whose_answer_was_lost_answers_the_ticket_it_opened()
    {
        var agent = _app.ClientFor(Roles.Agent);
        var body = new { subject = "Opened once", requester = new { email = "once@idem.test" } };
        LoseNextAnswer();

        var first = await IdempotentCommandTests.SendAsync(agent, "/api/tickets", "lost-create", body);
        _app.Clock.Advance(TimeSpan.FromMinutes(3));
        var retried = await IdempotentCommandTests.SendAsync(agent, "/api/tickets", "lost-create", body);

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        retried.StatusCode.ShouldBe(HttpStatusCode.Created);
        retried.Headers.Location.ShouldBe(first.Headers.Location);
        (await (await agent.GetAsync("/api/tickets?view=all&q=Opened%20once")).Json())["items"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_retry_of_a_request_that_died_before_its_change_makes_the_change_once()
    {
        var agent = _app.ClientFor(Roles.Agent);
        var ticketId = (await agent.OpenTicketAsync())["id"]!.GetValue<string>();
        var url = $"/api/tickets/{ticketId}/messages";
        var body = new { visibility = "internal", body = "After a crash" };
        Store.DieAfterNextReservation = true;

        await (await IdempotentCommandTests.SendAsync(agent, url, "died-early", body)).ShouldBeProblem(409);
        _app.Clock.Advance(TimeSpan.FromMinutes(3));
        var retried = await IdempotentCommandTests.SendAsync(agent, url, "died-early", body);

        retried.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await (await agent.GetAsync(url)).Json())["items"]!.AsArray().Count.ShouldBe(1);
    }

    public void Dispose() => _app.Dispose();

    private AnswerLostOnce Store => (AnswerLostOnce)_app.Services.GetRequiredService<IIdempotencyStore>();

    private void LoseNextAnswer() => Store.LoseNext = true;

    /// <summary>
    /// The store as a crash leaves it: the next answer is never recorded, or the next request
    /// dies right after reserving its key (its caller sees the 409 of a request still running);
    /// either way the key stays reserved.
    /// </summary>
    private sealed class AnswerLostOnce(IIdempotencyStore inner) : IIdempotencyStore
    {
        public bool LoseNext { get; set; }

        public bool DieAfterNextReservation { get; set; }

        public async Task<IdempotencyBegin> BeginAsync(string scope, string key, string requestHash, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var begin = await inner.BeginAsync(scope, key, requestHash, now, cancellationToken);
            if (DieAfterNextReservation)
            {
                DieAfterNextReservation = false;
                return new IdempotencyBegin(IdempotencyOutcome.InProgress);
            }

            return begin;
        }

        public Task CompleteAsync(string scope, string key, StoredResponse response, CancellationToken cancellationToken)
        {
            if (LoseNext)
            {
                LoseNext = false;
                return Task.CompletedTask;
            }

            return inner.CompleteAsync(scope, key, response, cancellationToken);
        }

        public Task AbandonAsync(string scope, string key, CancellationToken cancellationToken) => inner.AbandonAsync(scope, key, cancellationToken);
    }
}
