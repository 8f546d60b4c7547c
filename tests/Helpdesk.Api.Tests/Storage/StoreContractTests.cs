using Helpdesk.Api.Activities;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Tests.Storage;

/// <summary>The store interfaces as one engine sees them, over storage that outlives the instances.</summary>
public sealed record Stores(
    ITicketStore Tickets,
    ITicketNumberSequence Numbers,
    IDirectoryStore Directory,
    IIdempotencyStore Idempotency,
    IConversationStore Messages,
    ITimeStore Time,
    ICostLineStore Costs,
    IActivityStore Activities,
    IAttachmentIndex Attachments,
    IApprovalStore Approvals);

/// <summary>
/// One contract for every store engine: the SQLite and the Cosmos DB implementations run these
/// same tests. Each test gets fresh, empty storage from <see cref="OpenAsync"/>.
/// </summary>
public abstract partial class StoreContractTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
    private static readonly Actor Ada = Actor.Agent("agt_ada");
    private int _tickets;

    protected Stores Store { get; private set; } = null!;

    public async Task InitializeAsync() => Store = await OpenAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Stores over this test's storage; a second call gives new instances over the same data (a restarted process).</summary>
    protected abstract Task<Stores> OpenAsync();

    /// <summary>The events stored with the ticket's writes and not yet relayed, read straight from the storage.</summary>
    protected abstract Task<IReadOnlyList<DomainEvent>> PendingEventsAsync(string ticketId);

    [Fact]
    public async Task A_created_ticket_reads_back_with_version_1_and_its_history()
    {
        var ticket = await CreateAsync("Printer jams", description: "Every morning");

        var found = await Store.Tickets.FindAsync(ticket.Id, default);

        found.ShouldNotBeNull();
        found.Version.ShouldBe(1);
        StoreJson.Serialize(found.ToSnapshot()).ShouldBe(StoreJson.Serialize(ticket.ToSnapshot()));
        var history = await Store.Tickets.HistoryAsync(ticket.Id, 10, null, default);
        history.Items.Select(h => h.Action).ShouldBe(["created"]);
        history.NextCursor.ShouldBeNull();
    }

    [Fact]
    public async Task A_missing_ticket_is_null_and_has_no_history()
    {
        (await Store.Tickets.FindAsync("t_missing", default)).ShouldBeNull();
        (await Store.Tickets.HistoryAsync("t_missing", 10, null, default)).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_saved_change_moves_the_version_and_appends_history()
    {
        var ticket = await CreateAsync("Printer jams");
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;

        loaded.Assign("agt_ada", null, Ada, T0.AddMinutes(5));
        await Store.Tickets.SaveAsync(loaded, default);

        loaded.Version.ShouldBe(2);
        var again = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        again.Version.ShouldBe(2);
        again.AssigneeId.ShouldBe("agt_ada");
        again.Status.ShouldBe(TicketStatus.Assigned);
        (await Store.Tickets.HistoryAsync(ticket.Id, 10, null, default)).Items.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Saving_a_ticket_without_changes_writes_nothing()
    {
        var ticket = await CreateAsync("Printer jams");
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;

        await Store.Tickets.SaveAsync(loaded, default);

        (await Store.Tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(1);
    }

    [Fact]
    public async Task A_save_from_a_stale_version_is_refused()
    {
        var ticket = await CreateAsync("Printer jams");
        var first = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        var second = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        first.Assign("agt_ada", null, Ada, T0.AddMinutes(1));
        await Store.Tickets.SaveAsync(first, default);

        second.Assign("agt_bob", null, Ada, T0.AddMinutes(2));

        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Tickets.SaveAsync(second, default));
        (await Store.Tickets.FindAsync(ticket.Id, default))!.AssigneeId.ShouldBe("agt_ada");
    }

    [Fact]
    public async Task Of_20_concurrent_writers_from_the_same_version_exactly_one_wins()
    {
        var ticket = await CreateAsync("Printer jams");
        var writers = new List<Ticket>();
        for (var i = 0; i < 20; i++)
        {
            var copy = (await Store.Tickets.FindAsync(ticket.Id, default))!;
            copy.Assign($"agt_{i}", null, Ada, T0.AddMinutes(1));
            writers.Add(copy);
        }

        var outcomes = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                await Store.Tickets.SaveAsync(w, default);
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        }));

        outcomes.Count(won => won).ShouldBe(1);
        var stored = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        stored.Version.ShouldBe(2);
        stored.AssigneeId.ShouldBe(writers[Array.IndexOf(outcomes, true)].AssigneeId);
        (await Store.Tickets.HistoryAsync(ticket.Id, 50, null, default)).Items.Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_taken_ticket_number_is_refused()
    {
        await CreateAsync("First", number: "HD-1");

        var error = await Should.ThrowAsync<UniqueConstraintException>(() => CreateAsync("Second", number: "HD-1"));

        error.Field.ShouldBe("number");
    }

    [Fact]
    public async Task A_refused_write_among_concurrent_ones_is_refused_alone()
    {
        await CreateAsync("First", number: "HD-1");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            try
            {
                return (Ticket: await CreateAsync($"Burst {i}", number: i == 6 ? "HD-1" : null), Error: (UniqueConstraintException?)null);
            }
            catch (UniqueConstraintException e)
            {
                return (Ticket: (Ticket?)null, Error: e);
            }
        }));

        outcomes.Count(o => o.Error is not null).ShouldBe(1);
        foreach (var stored in outcomes.Select(o => o.Ticket).OfType<Ticket>())
        {
            (await Store.Tickets.FindAsync(stored.Id, default)).ShouldNotBeNull();
            (await PendingEventsAsync(stored.Id)).Select(e => e.Type).ShouldBe([TicketEventTypes.Created]);
        }
    }

    [Fact]
    public async Task Events_are_stored_with_the_write_and_survive_a_crash_before_the_relay()
    {
        var ticket = await CreateAsync("Printer jams");
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        loaded.Assign("agt_ada", null, Ada, T0.AddMinutes(1));
        var expected = loaded.PendingEvents.Select(e => e.Id).ToArray();
        await Store.Tickets.SaveAsync(loaded, default);

        Store = await OpenAsync();

        var pending = await PendingEventsAsync(ticket.Id);
        pending.Select(e => e.Type).ShouldBe([TicketEventTypes.Created, TicketEventTypes.Assigned]);
        pending[1].Id.ShouldBe(expected.Single());
        pending.ShouldAllBe(e => e.TicketId == ticket.Id);
        (await Store.Tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(2);
    }

    [Fact]
    public async Task A_refused_save_stores_no_event()
    {
        var ticket = await CreateAsync("Printer jams");
        var first = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        var stale = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        first.Assign("agt_ada", null, Ada, T0.AddMinutes(1));
        await Store.Tickets.SaveAsync(first, default);
        stale.Resolve("done", null, Ada, T0.AddMinutes(2));

        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Tickets.SaveAsync(stale, default));

        (await PendingEventsAsync(ticket.Id)).Select(e => e.Type).ShouldBe([TicketEventTypes.Created, TicketEventTypes.Assigned]);
    }

    [Fact]
    public async Task Every_view_lists_what_it_should_newest_first()
    {
        var unassigned = await CreateAsync("Unassigned");
        var mine = await CreateAsync("Mine", assigneeId: "agt_ada");
        var team = await CreateAsync("Team", teamId: "team_net");
        var late = await CreateAsync("Late", dueAt: T0.AddHours(1));
        var resolved = await CreateAsync("Resolved", assigneeId: "agt_ada");
        var toResolve = (await Store.Tickets.FindAsync(resolved.Id, default))!;
        toResolve.Resolve("done", null, Ada, T0.AddMinutes(1));
        await Store.Tickets.SaveAsync(toResolve, default);

        async Task<string[]> View(TicketView view, DateTimeOffset? now = null) =>
            (await Store.Tickets.QueryAsync(new TicketQuery(view, now ?? T0, 50, null, CallerAgentId: "agt_ada", CallerTeamIds: ["team_net"]), default))
                .Items.Select(t => t.Subject).ToArray();

        (await View(TicketView.All)).ShouldBe(["Resolved", "Late", "Team", "Mine", "Unassigned"]);
        (await View(TicketView.Open)).ShouldBe(["Late", "Team", "Mine", "Unassigned"]);
        (await View(TicketView.Mine)).ShouldBe(["Mine"]);
        (await View(TicketView.Team)).ShouldBe(["Team"]);
        (await View(TicketView.Unassigned)).ShouldBe(["Late", "Team", "Unassigned"]);
        (await View(TicketView.Late)).ShouldBeEmpty();
        (await View(TicketView.Late, T0.AddHours(2))).ShouldBe(["Late"]);
        _ = (unassigned, mine, team, late);
    }

    [Fact]
    public async Task The_team_view_of_someone_in_no_team_and_the_mine_view_of_a_non_agent_are_empty()
    {
        await CreateAsync("Team", teamId: "team_net", assigneeId: "agt_ada");

        (await Store.Tickets.QueryAsync(new TicketQuery(TicketView.Team, T0, 50, null, CallerTeamIds: []), default)).Items.ShouldBeEmpty();
        (await Store.Tickets.QueryAsync(new TicketQuery(TicketView.Mine, T0, 50, null), default)).Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task Filters_narrow_a_view()
    {
        await CreateAsync("Printer jams", assigneeId: "agt_ada", teamId: "team_net", accountId: "acc_a", contactId: "con_a", priority: Priority.High);
        await CreateAsync("Mail is slow", assigneeId: "agt_bob", teamId: "team_ops", accountId: "acc_b", contactId: "con_b", description: "Outlook hangs");

        async Task<string[]> Subjects(TicketQuery query) => (await Store.Tickets.QueryAsync(query, default)).Items.Select(t => t.Subject).ToArray();
        var all = new TicketQuery(TicketView.All, T0, 50, null);

        (await Subjects(all with { Priority = Priority.High })).ShouldBe(["Printer jams"]);
        (await Subjects(all with { Status = TicketStatus.Assigned })).ShouldBe(["Mail is slow", "Printer jams"]);
        (await Subjects(all with { Status = TicketStatus.Closed })).ShouldBeEmpty();
        (await Subjects(all with { AssigneeId = "agt_bob" })).ShouldBe(["Mail is slow"]);
        (await Subjects(all with { TeamId = "team_net" })).ShouldBe(["Printer jams"]);
        (await Subjects(all with { AccountId = "acc_b" })).ShouldBe(["Mail is slow"]);
        (await Subjects(all with { ContactId = "con_a" })).ShouldBe(["Printer jams"]);
        (await Subjects(all with { Text = "PRINTER" })).ShouldBe(["Printer jams"]);
        (await Subjects(all with { Text = "outlook" })).ShouldBe(["Mail is slow"]);
    }

    [Fact]
    public async Task Paging_a_view_loses_and_repeats_nothing_while_tickets_are_created()
    {
        for (var i = 0; i < 7; i++)
        {
            await CreateAsync($"Ticket {i}");
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.Tickets.QueryAsync(new TicketQuery(TicketView.Open, T0, 3, cursor), default);
            seen.AddRange(page.Items.Select(t => t.Subject));
            cursor = page.NextCursor;
            pages++;
            await CreateAsync($"Newer {pages}");
        }
        while (cursor is not null);

        pages.ShouldBe(3);
        seen.ShouldBe(Enumerable.Range(0, 7).Reverse().Select(i => $"Ticket {i}"));
    }

    [Fact]
    public async Task History_pages_oldest_first()
    {
        var ticket = await CreateAsync("Printer jams");
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        loaded.Assign("agt_ada", null, Ada, T0.AddMinutes(1));
        await Store.Tickets.SaveAsync(loaded, default);
        loaded.Start(Ada, T0.AddMinutes(2));
        await Store.Tickets.SaveAsync(loaded, default);

        var first = await Store.Tickets.HistoryAsync(ticket.Id, 2, null, default);
        var second = await Store.Tickets.HistoryAsync(ticket.Id, 2, first.NextCursor, default);

        first.Items.Select(h => h.Action).ShouldBe(["created", "assigned"]);
        second.Items.Select(h => h.Action).ShouldBe(["started"]);
        second.NextCursor.ShouldBeNull();
    }

    [Fact]
    public async Task A_cursor_that_the_store_did_not_make_is_refused()
    {
        await Should.ThrowAsync<InvalidCursorException>(() => Store.Tickets.QueryAsync(new TicketQuery(TicketView.All, T0, 10, "not-a-cursor"), default));
        await Should.ThrowAsync<InvalidCursorException>(() => Store.Directory.ListAsync(DirectoryKinds.Team, null, 10, "bogus!", default));
    }

    [Fact]
    public async Task Sequence_numbers_are_unique_under_concurrency_and_reservations_are_consecutive()
    {
        var values = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Store.Numbers.NextAsync("HD-2026", default)));
        var reserved = await Store.Numbers.ReserveAsync("HD-2026", 10, default);
        var other = await Store.Numbers.NextAsync("HD-2027", default);

        values.Order().ShouldBe(Enumerable.Range(1, 40).Select(i => (long)i));
        reserved.ShouldBe(41);
        (await Store.Numbers.NextAsync("HD-2026", default)).ShouldBe(51);
        other.ShouldBe(1);
    }

    [Fact]
    public async Task Directory_entries_read_back_by_id_and_by_key()
    {
        var contact = new Contact("con_1", "Alice@Contoso.com", "Alice", null, true);
        await Store.Directory.CreateAsync(DirectoryKinds.Contact, contact, default);

        (await Store.Directory.FindAsync(DirectoryKinds.Contact, "con_1", default)).ShouldBe(new Versioned<Contact>(contact, 1));
        (await Store.Directory.FindByKeyAsync(DirectoryKinds.Contact, "alice@contoso.com", default)).ShouldBe(contact);
        (await Store.Directory.FindAsync(DirectoryKinds.Contact, "con_missing", default)).ShouldBeNull();
        (await Store.Directory.FindByKeyAsync(DirectoryKinds.Contact, "bob@contoso.com", default)).ShouldBeNull();
        (await Store.Directory.FindAsync(DirectoryKinds.Agent, "con_1", default)).ShouldBeNull();
    }

    [Fact]
    public async Task A_taken_email_or_domain_or_id_is_refused()
    {
        await Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_1", "alice@contoso.com", "Alice", null, true), default);
        await Store.Directory.CreateAsync(DirectoryKinds.Account, new Account("acc_1", "Contoso", ["contoso.com"], true), default);

        (await Should.ThrowAsync<UniqueConstraintException>(() => Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_2", "ALICE@contoso.com", null, null, true), default))).Field.ShouldBe("email");
        (await Should.ThrowAsync<UniqueConstraintException>(() => Store.Directory.CreateAsync(DirectoryKinds.Account, new Account("acc_2", "Other", ["fabrikam.com", "contoso.com"], true), default))).Field.ShouldBe("domains");
        (await Should.ThrowAsync<UniqueConstraintException>(() => Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_1", "other@contoso.com", null, null, true), default))).Field.ShouldBe("id");

        (await Store.Directory.FindByKeyAsync(DirectoryKinds.Account, "fabrikam.com", default)).ShouldBeNull("a refused create claims no key");
        await Store.Directory.CreateAsync(DirectoryKinds.Account, new Account("acc_3", "Fabrikam", ["fabrikam.com"], true), default);
        await Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_3", "other@contoso.com", null, null, true), default);
    }

    [Fact]
    public async Task Replacing_an_entry_moves_its_version_and_its_keys()
    {
        await Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_1", "alice@contoso.com", "Alice", null, true), default);

        var version = await Store.Directory.ReplaceAsync(DirectoryKinds.Contact, new Contact("con_1", "alice@fabrikam.com", "Alice", null, true), 1, default);

        version.ShouldBe(2);
        (await Store.Directory.FindAsync(DirectoryKinds.Contact, "con_1", default))!.Version.ShouldBe(2);
        (await Store.Directory.FindByKeyAsync(DirectoryKinds.Contact, "alice@contoso.com", default)).ShouldBeNull();
        (await Store.Directory.FindByKeyAsync(DirectoryKinds.Contact, "alice@fabrikam.com", default))!.Id.ShouldBe("con_1");
        await Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_2", "alice@contoso.com", null, null, true), default);
    }

    [Fact]
    public async Task A_stale_or_clashing_replace_is_refused_and_changes_nothing()
    {
        await Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_1", "alice@contoso.com", "Alice", null, true), default);
        await Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_2", "bob@contoso.com", "Bob", null, true), default);
        await Store.Directory.ReplaceAsync(DirectoryKinds.Contact, new Contact("con_1", "alice@contoso.com", "Alice A.", null, true), 1, default);

        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Directory.ReplaceAsync(DirectoryKinds.Contact, new Contact("con_1", "carol@contoso.com", "Stale", null, true), 1, default));
        (await Should.ThrowAsync<UniqueConstraintException>(() => Store.Directory.ReplaceAsync(DirectoryKinds.Contact, new Contact("con_1", "bob@contoso.com", "Clash", null, true), 2, default))).Field.ShouldBe("email");
        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Directory.ReplaceAsync(DirectoryKinds.Contact, new Contact("con_missing", "dan@contoso.com", null, null, true), 1, default));

        var stored = (await Store.Directory.FindAsync(DirectoryKinds.Contact, "con_1", default))!;
        stored.ShouldBe(new Versioned<Contact>(new Contact("con_1", "alice@contoso.com", "Alice A.", null, true), 2));
        (await Store.Directory.FindByKeyAsync(DirectoryKinds.Contact, "carol@contoso.com", default)).ShouldBeNull();
        (await Store.Directory.FindByKeyAsync(DirectoryKinds.Contact, "bob@contoso.com", default))!.Id.ShouldBe("con_2");
    }

    [Fact]
    public async Task Directory_lists_page_in_creation_order_and_filter_by_text()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.Directory.CreateAsync(DirectoryKinds.Team, new Team($"team_{i}", i % 2 == 0 ? $"Network {i}" : $"Service desk {i}", null, true), default);
        }

        await Store.Directory.CreateAsync(DirectoryKinds.Contact, new Contact("con_1", "network@contoso.com", "Not a team", null, true), default);

        var first = await Store.Directory.ListAsync(DirectoryKinds.Team, null, 2, null, default);
        var second = await Store.Directory.ListAsync(DirectoryKinds.Team, null, 2, first.NextCursor, default);
        var third = await Store.Directory.ListAsync(DirectoryKinds.Team, null, 2, second.NextCursor, default);
        var network = await Store.Directory.ListAsync(DirectoryKinds.Team, "NETWORK", 10, null, default);

        first.Items.Concat(second.Items).Concat(third.Items).Select(t => t.Value.Id).ShouldBe(["team_0", "team_1", "team_2", "team_3", "team_4"]);
        third.NextCursor.ShouldBeNull();
        network.Items.Select(t => t.Value.Name).ShouldBe(["Network 0", "Network 2", "Network 4"]);
    }

    [Fact]
    public async Task An_idempotency_key_starts_once_then_replays_or_refuses()
    {
        var response = new StoredResponse(201, "application/json", "/api/tickets/t_1", "\"1\"", [1, 2, 3]);

        (await Store.Idempotency.BeginAsync("ada /api/tickets", "k1", "hash-a", T0, default)).Outcome.ShouldBe(IdempotencyOutcome.Started);
        (await Store.Idempotency.BeginAsync("ada /api/tickets", "k1", "hash-a", T0, default)).Outcome.ShouldBe(IdempotencyOutcome.InProgress);
        (await Store.Idempotency.BeginAsync("ada /api/tickets", "k1", "hash-b", T0, default)).Outcome.ShouldBe(IdempotencyOutcome.Mismatch);
        await Store.Idempotency.CompleteAsync("ada /api/tickets", "k1", response, default);
        var replay = await Store.Idempotency.BeginAsync("ada /api/tickets", "k1", "hash-a", T0.AddHours(1), default);

        replay.Outcome.ShouldBe(IdempotencyOutcome.Replay);
        replay.Response.ShouldNotBeNull();
        replay.Response.Body.ShouldBe(response.Body);
        replay.Response.ShouldBe(response with { Body = replay.Response.Body });
        (await Store.Idempotency.BeginAsync("bob /api/tickets", "k1", "hash-b", T0, default)).Outcome.ShouldBe(IdempotencyOutcome.Started);
    }

    [Fact]
    public async Task An_abandoned_or_expired_idempotency_key_can_be_used_again()
    {
        await Store.Idempotency.BeginAsync("s", "freed", "h", T0, default);
        await Store.Idempotency.AbandonAsync("s", "freed", default);
        await Store.Idempotency.BeginAsync("s", "stuck", "h", T0, default);
        await Store.Idempotency.BeginAsync("s", "old", "h", T0, default);
        await Store.Idempotency.CompleteAsync("s", "old", new StoredResponse(201, null, null, null, []), default);

        (await Store.Idempotency.BeginAsync("s", "freed", "other", T0, default)).Outcome.ShouldBe(IdempotencyOutcome.Started);
        (await Store.Idempotency.BeginAsync("s", "stuck", "h", T0.AddMinutes(5), default)).Outcome.ShouldBe(IdempotencyOutcome.TakenOver, "the first attempt may have stored its change: the retry must look for its receipt");
        (await Store.Idempotency.BeginAsync("s", "old", "other", T0.AddDays(2), default)).Outcome.ShouldBe(IdempotencyOutcome.Started);
    }

    [Fact]
    public async Task Completing_an_idempotency_key_does_not_let_abandon_free_it()
    {
        await Store.Idempotency.BeginAsync("s", "k", "h", T0, default);
        await Store.Idempotency.CompleteAsync("s", "k", new StoredResponse(200, null, null, null, []), default);

        await Store.Idempotency.AbandonAsync("s", "k", default);

        (await Store.Idempotency.BeginAsync("s", "k", "h", T0, default)).Outcome.ShouldBe(IdempotencyOutcome.Replay);
    }

    [Fact]
    public async Task The_scan_reads_only_tickets_whose_next_sla_change_is_due_earliest_first()
    {
        var later = await CreateAsync("Later", dueAt: T0.AddHours(2));
        var sooner = await CreateAsync("Sooner", dueAt: T0.AddHours(1));
        await CreateAsync("Not yet", dueAt: T0.AddHours(5));
        await CreateAsync("No clock");
        var closed = await CreateAsync("Closed", dueAt: T0.AddMinutes(30));
        closed.Close(null, Ada, T0.AddMinutes(1));
        await Store.Tickets.SaveAsync(closed, default);

        var due = await Store.Tickets.DueForSlaAsync(T0.AddHours(3), 10, default);

        due.ShouldBe([sooner.Id, later.Id]);
        (await Store.Tickets.DueForSlaAsync(T0.AddHours(3), 1, default)).ShouldBe([sooner.Id]);
    }

    [Fact]
    public async Task Rescheduling_stores_a_new_schedule_without_a_new_version_and_refuses_a_stale_ticket()
    {
        var ticket = await CreateAsync("Moved", dueAt: T0.AddHours(1));
        var stale = await Store.Tickets.FindAsync(ticket.Id, default);
        var current = await Store.Tickets.FindAsync(ticket.Id, default);
        current!.Update(new TicketChanges { DueAt = Optional.Of<DateTimeOffset?>(T0.AddHours(9)) }, TicketSettings.Default, Ada, T0.AddMinutes(5));
        await Store.Tickets.SaveAsync(current, default);

        (await Store.Tickets.RescheduleAsync(stale!, default)).ShouldBeFalse();
        (await Store.Tickets.RescheduleAsync(current, default)).ShouldBeTrue();

        (await Store.Tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(2);
        (await Store.Tickets.DueForSlaAsync(T0.AddHours(3), 10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_review_request_makes_every_open_ticket_due()
    {
        var open = await CreateAsync("Open");
        var resolved = await CreateAsync("Resolved");
        resolved.Resolve("done", null, Ada, T0.AddMinutes(1));
        await Store.Tickets.SaveAsync(resolved, default);

        await Store.Tickets.RequestSlaReviewAsync(T0.AddMinutes(2), default);

        (await Store.Tickets.DueForSlaAsync(T0.AddMinutes(2), 10, default)).ShouldBe([open.Id]);
    }

    [Fact]
    public async Task The_created_filter_bounds_a_view_by_creation_time()
    {
        var ticket = await CreateAsync("Created at T0");

        var inside = await Store.Tickets.QueryAsync(new TicketQuery(TicketView.All, T0, 10, null, CreatedFrom: T0, CreatedBefore: T0.AddMinutes(1)), default);
        var before = await Store.Tickets.QueryAsync(new TicketQuery(TicketView.All, T0, 10, null, CreatedBefore: T0), default);

        inside.Items.Select(t => t.Id).ShouldBe([ticket.Id]);
        before.Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_deleted_ticket_is_found_only_when_asked_for_and_is_in_no_view_until_restored()
    {
        var kept = await CreateAsync("Kept", dueAt: T0.AddHours(1));
        var ticket = await CreateAsync("Deleted", dueAt: T0.AddHours(1));
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;

        loaded.Delete(Ada, T0.AddMinutes(1));
        await Store.Tickets.SaveAsync(loaded, default);

        (await Store.Tickets.FindAsync(ticket.Id, default)).ShouldBeNull();
        var deleted = (await Store.Tickets.FindIncludingDeletedAsync(ticket.Id, default))!;
        deleted.IsDeleted.ShouldBeTrue();
        foreach (var view in Enum.GetValues<TicketView>())
        {
            (await Store.Tickets.QueryAsync(new TicketQuery(view, T0.AddHours(2), 50, null, CallerTeamIds: []), default)).Items.Select(t => t.Id).ShouldNotContain(ticket.Id);
        }

        (await Store.Tickets.DueForSlaAsync(T0.AddDays(30), 50, default)).ShouldNotContain(ticket.Id);

        deleted.Restore(Ada, T0.AddMinutes(2));
        await Store.Tickets.SaveAsync(deleted, default);

        (await Store.Tickets.FindAsync(ticket.Id, default)).ShouldNotBeNull();
        (await Store.Tickets.QueryAsync(new TicketQuery(TicketView.All, T0, 50, null), default)).Items.Select(t => t.Subject).ShouldBe(["Deleted", "Kept"]);
        (await Store.Tickets.QueryAsync(new TicketQuery(TicketView.All, T0, 50, null, ExcludeId: ticket.Id), default)).Items.Select(t => t.Id).ShouldBe([kept.Id]);
    }

    protected async Task<Ticket> CreateAsync(
        string subject,
        string? number = null,
        string? description = null,
        string? assigneeId = null,
        string? teamId = null,
        string? accountId = null,
        string contactId = "con_alice",
        Priority priority = Priority.Normal,
        DateTimeOffset? dueAt = null)
    {
        var n = Interlocked.Increment(ref _tickets);
        var ticket = Ticket.Create(
            new NewTicket($"t_{Guid.NewGuid():N}", number ?? $"HD-{n:00000}", subject, description, new Requester(contactId, "alice@contoso.com", "Alice"),
                accountId, priority, null, null, null, null, teamId, assigneeId, null, dueAt, [], true),
            Actor.Customer(contactId),
            TicketSettings.Default,
            T0);
        await Store.Tickets.SaveAsync(ticket, default);
        return ticket;
    }
}
