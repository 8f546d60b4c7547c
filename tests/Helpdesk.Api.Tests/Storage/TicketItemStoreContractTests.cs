using Helpdesk.Api.Attachments;
using Helpdesk.Api.Common;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;
using Helpdesk.Domain.Work;

namespace Helpdesk.Api.Tests.Storage;

/// <summary>
/// The contract of the stores whose items live with their ticket (messages, time, cost lines,
/// activities, attachments): every item change is stored with the ticket change and the events
/// that record it, or not at all.
/// </summary>
public abstract partial class StoreContractTests
{
    private static readonly DateOnly Day0 = DateOnly.FromDateTime(T0.UtcDateTime);

    /// <summary>
    /// Leaves storage as a process that died in the middle of saving <paramref name="message"/>
    /// left it: whatever the engine had written of the message before its ticket write.
    /// </summary>
    protected abstract Task LeaveUnfinishedMessageWriteAsync(TicketMessage message);

    [Fact]
    public async Task A_search_reads_the_messages_its_scope_allows_and_the_requester()
    {
        var ticket = await CreateAsync("Printer jams");
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        await SaveMessageAsync(loaded, Reply(loaded, "msg_public", "The toner was replaced"));
        loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        await SaveMessageAsync(loaded, Note(loaded, "msg_note", "Firmware bug in the fuser"));

        (await SearchAsync("TONER", TicketTextScope.Conversation)).ShouldBe([ticket.Id]);
        (await SearchAsync("toner", TicketTextScope.PublicConversation)).ShouldBe([ticket.Id]);
        (await SearchAsync("toner", TicketTextScope.Ticket)).ShouldBeEmpty();
        (await SearchAsync("fuser", TicketTextScope.Conversation)).ShouldBe([ticket.Id]);
        (await SearchAsync("fuser", TicketTextScope.PublicConversation)).ShouldBeEmpty();
        (await SearchAsync("ALICE@contoso", TicketTextScope.Ticket)).ShouldBe([ticket.Id]);
    }

    /// <summary>The ids of the tickets <paramref name="text"/> finds in <paramref name="scope"/>.</summary>
    protected async Task<IReadOnlyList<string>> SearchAsync(string text, TicketTextScope scope) =>
        [.. (await Store.Tickets.QueryAsync(new TicketQuery(TicketView.All, T0, 10, null, Text: text, TextScope: scope), default)).Items.Select(t => t.Id)];

    [Fact]
    public async Task A_message_is_stored_with_its_ticket_change_and_event()
    {
        var ticket = await CreateAsync("Printer jams");
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        var message = Reply(loaded, "msg_1", "It works again");

        await SaveMessageAsync(loaded, message);

        loaded.Version.ShouldBe(2);
        StoreJson.Serialize(await Store.Messages.FindAsync(ticket.Id, "msg_1", default)).ShouldBe(StoreJson.Serialize(message));
        (await Store.Tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(2);
        (await Store.Tickets.HistoryAsync(ticket.Id, 10, null, default)).Items.Select(h => h.Action).ShouldBe(["created", MessageActions.AgentReplied]);
        (await PendingEventsAsync(ticket.Id)).Select(e => e.Type).ShouldBe([TicketEventTypes.Created, TicketEventTypes.MessageAdded]);
        (await Store.Messages.FindAsync(ticket.Id, "msg_missing", default)).ShouldBeNull();
        (await Store.Messages.FindAsync("t_missing", "msg_1", default)).ShouldBeNull();
    }

    [Fact]
    public async Task A_new_ticket_saved_with_its_first_message_creates_both()
    {
        var ticket = Ticket.Create(
            new NewTicket($"t_{Guid.NewGuid():N}", "HD-90001", "By mail", null, new Requester("con_alice", "alice@contoso.com", "Alice"), null, Priority.Normal, null, null, null, null, null, null, null, null, [], true),
            Actor.Customer("con_alice"),
            TicketSettings.Default,
            T0);
        ticket.AddCustomerMessage("msg_first", [], Actor.Customer("con_alice"), T0);

        await SaveMessageAsync(ticket, Message(ticket.Id, "msg_first", MessageVisibility.Public, "Hello"));

        ticket.Version.ShouldBe(1);
        (await Store.Tickets.FindAsync(ticket.Id, default))!.Subject.ShouldBe("By mail");
        (await Store.Messages.ListAsync(ticket.Id, true, 10, null, default)).Items.Select(m => m.Id).ShouldBe(["msg_first"]);
    }

    [Fact]
    public async Task Messages_list_oldest_first_page_without_loss_and_hide_internal_notes_from_customers()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Printer jams")).Id, default))!;
        for (var i = 0; i < 5; i++)
        {
            var message = i % 2 == 0 ? Reply(ticket, $"msg_{i}", $"Reply {i}") : Note(ticket, $"msg_{i}", $"Note {i}");
            await SaveMessageAsync(ticket, message);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Store.Messages.ListAsync(ticket.Id, true, 2, cursor, default);
            seen.AddRange(page.Items.Select(m => m.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        seen.ShouldBe(["msg_0", "msg_1", "msg_2", "msg_3", "msg_4"]);
        (await Store.Messages.ListAsync(ticket.Id, false, 10, null, default)).Items.Select(m => m.Id).ShouldBe(["msg_0", "msg_2", "msg_4"]);
        var publicFirst = await Store.Messages.ListAsync(ticket.Id, false, 2, null, default);
        (await Store.Messages.ListAsync(ticket.Id, false, 2, publicFirst.NextCursor, default)).Items.Select(m => m.Id).ShouldBe(["msg_4"]);
        await Should.ThrowAsync<InvalidCursorException>(() => Store.Messages.ListAsync(ticket.Id, true, 2, "bogus!", default));
    }

    [Fact]
    public async Task A_message_from_a_stale_ticket_stores_neither_the_message_nor_an_event()
    {
        var ticket = await CreateAsync("Printer jams");
        var first = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        var stale = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        await SaveMessageAsync(first, Reply(first, "msg_first", "First"));

        var late = Reply(stale, "msg_late", "Late");

        await Should.ThrowAsync<ConcurrencyConflictException>(() => SaveMessageAsync(stale, late));
        (await Store.Messages.FindAsync(ticket.Id, "msg_late", default)).ShouldBeNull();
        (await Store.Messages.ListAsync(ticket.Id, true, 10, null, default)).Items.Select(m => m.Id).ShouldBe(["msg_first"]);
        (await PendingEventsAsync(ticket.Id)).Select(e => e.Type).ShouldBe([TicketEventTypes.Created, TicketEventTypes.MessageAdded]);
    }

    [Fact]
    public async Task Of_20_concurrent_replies_from_the_same_version_exactly_one_is_stored()
    {
        var ticket = await CreateAsync("Printer jams");
        var writers = new List<(Ticket Ticket, TicketMessage Message)>();
        for (var i = 0; i < 20; i++)
        {
            var copy = (await Store.Tickets.FindAsync(ticket.Id, default))!;
            writers.Add((copy, Reply(copy, $"msg_{i}", $"Reply {i}")));
        }

        var outcomes = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                await SaveMessageAsync(w.Ticket, w.Message);
                return true;
            }
            catch (ConcurrencyConflictException)
            {
                return false;
            }
        }));

        outcomes.Count(won => won).ShouldBe(1);
        var winner = writers[Array.IndexOf(outcomes, true)].Message.Id;
        (await Store.Messages.ListAsync(ticket.Id, true, 50, null, default)).Items.Select(m => m.Id).ShouldBe([winner]);
        (await PendingEventsAsync(ticket.Id)).Count(e => e.Type == TicketEventTypes.MessageAdded).ShouldBe(1);
    }

    [Fact]
    public async Task A_message_whose_write_died_before_its_ticket_write_is_never_seen()
    {
        var ticket = await CreateAsync("Printer jams");
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        await LeaveUnfinishedMessageWriteAsync(Message(ticket.Id, "msg_lost", MessageVisibility.Public, "Never committed"));

        Store = await OpenAsync();

        (await Store.Messages.FindAsync(ticket.Id, "msg_lost", default)).ShouldBeNull();
        (await Store.Messages.ListAsync(ticket.Id, true, 10, null, default)).Items.ShouldBeEmpty();
        (await PendingEventsAsync(ticket.Id)).Select(e => e.Type).ShouldBe([TicketEventTypes.Created]);
        await SaveMessageAsync(loaded, Reply(loaded, "msg_next", "Still works"));
        (await Store.Messages.ListAsync(ticket.Id, true, 10, null, default)).Items.Select(m => m.Id).ShouldBe(["msg_next"]);
    }

    [Fact]
    public async Task A_ticket_change_saved_after_an_item_write_keeps_the_item()
    {
        var ticket = await CreateAsync("Printer jams");
        var writer = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        await SaveMessageAsync(writer, Reply(writer, "msg_1", "Hello"));

        writer.Assign("agt_ada", null, Ada, T0.AddMinutes(5));
        await Store.Tickets.SaveAsync(writer, default);
        var reloaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        reloaded.Start(Ada, T0.AddMinutes(6));
        await Store.Tickets.SaveAsync(reloaded, default);

        (await Store.Messages.ListAsync(ticket.Id, true, 10, null, default)).Items.Select(m => m.Id).ShouldBe(["msg_1"]);
        (await Store.Tickets.FindAsync(ticket.Id, default))!.Version.ShouldBe(4);
    }

    [Fact]
    public async Task A_cost_line_is_added_changed_from_its_version_only_and_removed_with_its_ticket()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Printer jams", accountId: "acc_a")).Id, default))!;
        var line = CostLine.Add("cst_1", ticket.Id, "agt_ada", CostLineKind.Expense, "Taxi", 1, 10.10m, "EUR", true, Day0, T0);
        ticket.AddLine(line, false, Ada, T0);
        await SaveItemAsync(ticket, TicketItemKinds.CostLine, new Versioned<CostLine>(line, 0));

        var stored = (await Store.Costs.FindAsync(ticket.Id, "cst_1", default))!;
        stored.Version.ShouldBe(1);
        stored.Value.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture).ShouldBe("10.10");
        var changed = line with { Quantity = 2, Amount = 20.20m };
        ticket.ChangeLine(line, changed, false, Ada, T0.AddMinutes(1));
        await SaveItemAsync(ticket, TicketItemKinds.CostLine, stored with { Value = changed });
        ticket.ChangeLine(changed, line, false, Ada, T0.AddMinutes(2));
        await Should.ThrowAsync<ConcurrencyConflictException>(() => SaveItemAsync(ticket, TicketItemKinds.CostLine, stored));

        var reloaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        (await Store.Costs.FindAsync(ticket.Id, "cst_1", default))!.ShouldBe(new Versioned<CostLine>(changed, 2));
        (await Store.Costs.RowsAsync(Day0, Day0.AddDays(1), default)).ShouldBe([new CostRow(changed, "acc_a")]);
        (await Store.Costs.RowsAsync(Day0.AddDays(1), Day0.AddDays(2), default)).ShouldBeEmpty();
        reloaded.RemoveLine(changed, false, Ada, T0.AddMinutes(3));
        await Store.Tickets.SaveAsync(reloaded, [TicketItemWrite.Remove(TicketItemKinds.CostLine, changed.Id, 2)], default);
        (await Store.Costs.AllAsync(ticket.Id, default)).ShouldBeEmpty();
        (await Store.Costs.ListAsync(ticket.Id, 10, null, default)).Items.ShouldBeEmpty();
        (await Store.Costs.RowsAsync(Day0, Day0.AddDays(1), default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Due_reminders_come_soonest_first_and_fire_once_with_their_event()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Printer jams")).Id, default))!;
        var later = PlanActivity(ticket, "act_later", T0.AddHours(2));
        var sooner = PlanActivity(ticket, "act_sooner", T0.AddHours(1));
        var none = PlanActivity(ticket, "act_none", null);
        foreach (var activity in new[] { later, sooner, none })
        {
            ticket.PlanActivity(activity, Ada, T0);
            await SaveItemAsync(ticket, TicketItemKinds.Activity, new Versioned<Activity>(activity, 0));
        }

        (await Store.Activities.DueRemindersAsync(T0.AddMinutes(30), 10, default)).ShouldBeEmpty();
        var due = await Store.Activities.DueRemindersAsync(T0.AddHours(3), 10, default);
        due.Select(a => a.Value.Id).ShouldBe(["act_sooner", "act_later"]);
        (await Store.Activities.DueRemindersAsync(T0.AddHours(3), 1, default)).Select(a => a.Value.Id).ShouldBe(["act_sooner"]);

        var first = due[0];
        await SaveItemAsync(ticket, TicketItemKinds.Activity, first with { Value = ticket.FireReminder(first.Value, T0.AddHours(3)) });
        var reminder = (await PendingEventsAsync(ticket.Id)).Single(e => e.Type == "activity.reminder");
        await Should.ThrowAsync<ConcurrencyConflictException>(() => SaveItemAsync(ticket, TicketItemKinds.Activity, first with { Value = ticket.FireReminder(first.Value, T0.AddHours(3)) }));

        (await Store.Activities.DueRemindersAsync(T0.AddHours(3), 10, default)).Select(a => a.Value.Id).ShouldBe(["act_later"]);
        (await PendingEventsAsync(ticket.Id)).Where(e => e.Type == "activity.reminder").Select(e => e.Id).ShouldBe([reminder.Id]);
        (await Store.Activities.FindAsync(ticket.Id, "act_sooner", default))!.Version.ShouldBe(2);
        (await Store.Activities.ListAsync(ticket.Id, 10, null, default)).Items.Select(a => a.Value.Id).ShouldBe(["act_later", "act_sooner", "act_none"]);
    }

    [Fact]
    public async Task An_activity_is_removed_from_its_version_only()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Printer jams")).Id, default))!;
        var activity = PlanActivity(ticket, "act_1", T0.AddHours(1));
        ticket.PlanActivity(activity, Ada, T0);
        await SaveItemAsync(ticket, TicketItemKinds.Activity, new Versioned<Activity>(activity, 0));
        var done = activity.MarkDone(T0.AddMinutes(1));
        ticket.CompleteActivity(activity, done, Ada, T0.AddMinutes(1));
        await SaveItemAsync(ticket, TicketItemKinds.Activity, new Versioned<Activity>(done, 1));

        ticket.RemoveActivity(done, Ada, T0.AddMinutes(2));
        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Remove(TicketItemKinds.Activity, done.Id, 1)], default));
        var reloaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        reloaded.RemoveActivity(done, Ada, T0.AddMinutes(2));
        await Store.Tickets.SaveAsync(reloaded, [TicketItemWrite.Remove(TicketItemKinds.Activity, done.Id, 2)], default);

        (await Store.Activities.FindAsync(ticket.Id, "act_1", default)).ShouldBeNull();
        (await Store.Activities.DueRemindersAsync(T0.AddHours(2), 10, default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Attachments_are_listed_found_removed_and_their_content_referenced_while_any_ticket_carries_it()
    {
        var one = (await Store.Tickets.FindAsync((await CreateAsync("One")).Id, default))!;
        var two = (await Store.Tickets.FindAsync((await CreateAsync("Two")).Id, default))!;
        var onOne = await AttachAsync(one, "att_1", "hash-shared");
        await AttachAsync(one, "att_2", "hash-own");
        var onTwo = await AttachAsync(two, "att_3", "hash-shared");

        (await Store.Attachments.ListAsync(one.Id, default)).Select(a => a.Id).ShouldBe(["att_1", "att_2"]);
        (await Store.Attachments.FindAsync(one.Id, "att_1", default)).ShouldBe(onOne);
        (await Store.Attachments.FindAsync(two.Id, "att_1", default)).ShouldBeNull();
        (await Store.Attachments.IsReferencedAsync("hash-shared", default)).ShouldBeTrue();

        await DetachAsync(one, onOne);
        (await Store.Attachments.IsReferencedAsync("hash-shared", default)).ShouldBeTrue();
        await DetachAsync(two, onTwo);

        (await Store.Attachments.IsReferencedAsync("hash-shared", default)).ShouldBeFalse();
        (await Store.Attachments.IsReferencedAsync("hash-own", default)).ShouldBeTrue();
        (await Store.Attachments.ListAsync(one.Id, default)).Select(a => a.Id).ShouldBe(["att_2"]);
        (await PendingEventsAsync(two.Id)).Select(e => e.Type).ShouldBe([TicketEventTypes.Created, TicketEventTypes.AttachmentAdded, TicketEventTypes.AttachmentRemoved]);
    }

    [Fact]
    public async Task Time_entries_total_and_report_confirmed_minutes_per_account()
    {
        var ticket = (await Store.Tickets.FindAsync((await CreateAsync("Printer jams", accountId: "acc_a")).Id, default))!;
        var other = (await Store.Tickets.FindAsync((await CreateAsync("Mail", accountId: "acc_b")).Id, default))!;
        await LogAsync(ticket, TimeEntry.Log("tim_1", ticket.Id, "agt_ada", 30, true, null, Day0, T0));
        await LogAsync(ticket, TimeEntry.Log("tim_2", ticket.Id, "agt_ada", 15, false, null, Day0, T0));
        await LogAsync(other, TimeEntry.Log("tim_3", other.Id, "agt_bob", 60, true, null, Day0.AddDays(1), T0));
        var draft = TimeEntry.DraftFromPresence("tim_4", Presence.Begin("agt_ada", ticket.Id, T0) with { Seconds = 600 }, Day0, T0);
        await SaveItemAsync(ticket, TicketItemKinds.TimeEntry, new Versioned<TimeEntry>(draft, 0));

        (await Store.Time.TotalsAsync(ticket.Id, default)).ShouldBe(new TimeTotals(45, 30, 15));
        (await Store.Time.ListAsync(ticket.Id, 10, null, default)).Items.Select(e => e.Value.Id).ShouldBe(["tim_1", "tim_2", "tim_4"]);
        (await Store.Time.RowsAsync(Day0, Day0.AddDays(2), null, null, default)).OrderBy(r => r.Minutes).ShouldBe(
            [new TimeRow("agt_ada", ticket.Id, ticket.Number, "acc_a", 15, false), new TimeRow("agt_ada", ticket.Id, ticket.Number, "acc_a", 30, true), new TimeRow("agt_bob", other.Id, other.Number, "acc_b", 60, true)]);
        (await Store.Time.RowsAsync(Day0, Day0.AddDays(2), "acc_b", null, default)).Select(r => r.Minutes).ShouldBe([60]);
        (await Store.Time.RowsAsync(Day0, Day0.AddDays(1), null, null, default)).Count.ShouldBe(2);

        var entry = (await Store.Time.FindAsync(ticket.Id, "tim_1", default))!;
        var edited = entry.Value.Edit(45, true, null, Day0, T0.AddMinutes(1));
        ticket.ChangeTime(entry.Value, edited, false, Ada, T0.AddMinutes(1));
        await SaveItemAsync(ticket, TicketItemKinds.TimeEntry, entry with { Value = edited });
        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Remove(TicketItemKinds.TimeEntry, entry.Value.Id, entry.Version)], default));
        (await Store.Time.TotalsAsync(ticket.Id, default)).ShouldBe(new TimeTotals(60, 45, 15));
    }

    [Fact]
    public async Task One_timer_runs_per_agent_and_moving_it_records_the_stopped_one()
    {
        var first = (await Store.Tickets.FindAsync((await CreateAsync("First")).Id, default))!;
        var second = (await Store.Tickets.FindAsync((await CreateAsync("Second")).Id, default))!;
        var running = new RunningTimer("agt_ada", first.Id, T0);
        await Store.Tickets.SaveAsync(first, [TicketItemWrite.Add(TicketItemKinds.Timer, "agt_ada", running)], default);

        var timer = (await Store.Time.FindTimerAsync("agt_ada", default))!;
        timer.Value.ShouldBe(running);
        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Tickets.SaveAsync(second, [TicketItemWrite.Add(TicketItemKinds.Timer, "agt_ada", new RunningTimer("agt_ada", second.Id, T0))], default));
        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Tickets.SaveAsync(first, [TicketItemWrite.Remove(TicketItemKinds.Timer, "agt_ada", timer.Version + 1)], default));

        var stopped = TimeEntry.FromTimer("tim_timer", running, running.Read(T0.AddMinutes(20), TimeSpan.FromHours(8)), Day0, T0.AddMinutes(20));
        first.LogTime(stopped, false, Ada, T0.AddMinutes(20));
        var moved = new RunningTimer("agt_ada", second.Id, T0.AddMinutes(20));
        await Store.Tickets.SaveAsync(
            [
                TicketWrite.Of(first, TicketItemWrite.Add(TicketItemKinds.TimeEntry, stopped.Id, stopped), TicketItemWrite.Remove(TicketItemKinds.Timer, "agt_ada", timer.Version)),
                TicketWrite.Of(second, TicketItemWrite.Add(TicketItemKinds.Timer, "agt_ada", moved)),
            ],
            default);

        var movedTimer = (await Store.Time.FindTimerAsync("agt_ada", default))!;
        movedTimer.Value.ShouldBe(moved);
        (await Store.Time.TotalsAsync(first.Id, default)).Minutes.ShouldBe(20);
        await Store.Tickets.SaveAsync(second, [TicketItemWrite.Remove(TicketItemKinds.Timer, "agt_ada", movedTimer.Version)], default);
        (await Store.Time.FindTimerAsync("agt_ada", default)).ShouldBeNull();
        await Store.Tickets.SaveAsync(first, [TicketItemWrite.Add(TicketItemKinds.Timer, "agt_ada", running with { StartedAt = T0.AddHours(1) })], default);
        (await Store.Time.FindTimerAsync("agt_ada", default))!.Value.TicketId.ShouldBe(first.Id);
    }

    [Fact]
    public async Task Presence_is_saved_from_its_version_only()
    {
        var ticket = await CreateAsync("Printer jams");
        var presence = Presence.Begin("agt_ada", ticket.Id, T0);
        await Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Add(TicketItemKinds.Presence, "agt_ada", presence)], default);
        await Should.ThrowAsync<ConcurrencyConflictException>(() => Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Add(TicketItemKinds.Presence, "agt_ada", presence)], default));

        var beat = presence with { Seconds = 60, LastBeatAt = T0.AddMinutes(1) };
        await Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Put(TicketItemKinds.Presence, "agt_ada", new Versioned<Presence>(beat, 1))], default);

        (await Store.Time.FindPresenceAsync("agt_ada", ticket.Id, default)).ShouldBe(new Versioned<Presence>(beat, 2));
        await Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Remove(TicketItemKinds.Presence, "agt_ada", 2)], default);
        (await Store.Time.FindPresenceAsync("agt_ada", ticket.Id, default)).ShouldBeNull();
    }

    private static TicketMessage Message(string ticketId, string id, MessageVisibility visibility, string text) =>
        new(id, ticketId, T0, Ada, "Ada", visibility, $"<p>{text}</p>", text, [], "api");

    protected static TicketMessage Reply(Ticket ticket, string id, string text)
    {
        ticket.AddAgentReply(id, [], Ada, T0.AddMinutes(1));
        return Message(ticket.Id, id, MessageVisibility.Public, text);
    }

    private static TicketMessage Note(Ticket ticket, string id, string text)
    {
        ticket.AddInternalNote(id, [], Ada, T0.AddMinutes(1));
        return Message(ticket.Id, id, MessageVisibility.Internal, text);
    }

    private static Activity PlanActivity(Ticket ticket, string id, DateTimeOffset? remindAt) =>
        Activity.Plan(
            id,
            ticket.Id,
            "agt_ada",
            new ActivityDetails(ActivityKind.Task, id, null, "agt_ada", T0.AddHours(4), null, null, remindAt is { } at ? new ActivityReminder(at, [ReminderChannel.Email]) : null, false, null),
            T0);

    private async Task<Attachment> AttachAsync(Ticket ticket, string id, string hash)
    {
        var attachment = new Attachment(id, ticket.Id, null, $"{id}.txt", "text/plain", 3, hash, T0, Ada);
        ticket.AddAttachment(id, attachment.FileName, attachment.Size, null, Ada, T0);
        await Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Add(TicketItemKinds.Attachment, id, attachment)], default);
        return attachment;
    }

    private async Task DetachAsync(Ticket ticket, Attachment attachment)
    {
        ticket.RemoveAttachment(attachment.Id, attachment.FileName, Ada, T0);
        await Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Remove(TicketItemKinds.Attachment, attachment.Id, null)], default);
    }

    private async Task LogAsync(Ticket ticket, TimeEntry entry)
    {
        ticket.LogTime(entry, false, Ada, T0);
        await SaveItemAsync(ticket, TicketItemKinds.TimeEntry, new Versioned<TimeEntry>(entry, 0));
    }

    protected Task SaveMessageAsync(Ticket ticket, TicketMessage message) =>
        Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Add(TicketItemKinds.Message, message.Id, message)], default);

    /// <summary>An item (version 0 = new) written with the ticket's pending changes, through the one write contract.</summary>
    private Task SaveItemAsync<T>(Ticket ticket, string kind, Versioned<T> item)
        where T : notnull =>
        Store.Tickets.SaveAsync(ticket, [TicketItemWrite.Put(kind, IdOf(item.Value), item)], default);

    private static string IdOf(object item) => item switch
    {
        CostLine l => l.Id,
        Activity a => a.Id,
        TimeEntry e => e.Id,
        Domain.Approvals.Approval a => a.Id,
        _ => throw new ArgumentException($"No id known for {item.GetType().Name}.", nameof(item)),
    };
}
