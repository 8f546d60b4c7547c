using System.Globalization;
using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>
/// What a new ticket is made of; the creating use case resolves ids and the number first. Only an
/// internal ticket (<see cref="Ticket.InternalType"/>) may have no requester.
/// </summary>
public sealed record NewTicket(
    string Id,
    string Number,
    string Subject,
    string? Description,
    Requester? Requester,
    string? AccountId,
    Priority Priority,
    string? Type,
    string? Group,
    string? Severity,
    string? Impact,
    string? TeamId,
    string? AssigneeId,
    DateTimeOffset? StartAt,
    DateTimeOffset? DueAt,
    IReadOnlyList<string> Tags,
    bool NotifyCustomer,
    string? FollowUpOfId = null);

/// <summary>The fields a merge patch may change; absent fields stay as they are.</summary>
public sealed record TicketChanges
{
    public Optional<string> Subject { get; init; }
    public Optional<string?> Description { get; init; }
    public Optional<Priority> Priority { get; init; }
    public Optional<string?> Type { get; init; }
    public Optional<string?> Group { get; init; }
    public Optional<string?> Severity { get; init; }
    public Optional<string?> Impact { get; init; }
    public Optional<DateTimeOffset> StartAt { get; init; }
    public Optional<DateTimeOffset?> DueAt { get; init; }
    public Optional<int> Progress { get; init; }
    public Optional<IReadOnlyList<string>> Tags { get; init; }
    public Optional<string?> AccountId { get; init; }
    public Optional<Requester?> Requester { get; init; }
    public Optional<bool> NotifyCustomer { get; init; }
    public Optional<TicketLink?> Project { get; init; }
    public Optional<TicketLink?> Contract { get; init; }
}

/// <summary>Every persisted field of a ticket; stores save and load exactly this.</summary>
public sealed record TicketSnapshot(
    string Id,
    string Number,
    string Subject,
    string? Description,
    TicketStatus Status,
    Priority Priority,
    string? Type,
    string? Group,
    string? Severity,
    string? Impact,
    Requester? Requester,
    string? AccountId,
    string? AssigneeId,
    string? TeamId,
    IReadOnlyList<string> Tags,
    int Progress,
    bool NotifyCustomer,
    string? ResolutionSummary,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset StartAt,
    DateTimeOffset? DueAt,
    DateTimeOffset? EndAt,
    IReadOnlyList<TimelineMark>? Timeline = null,
    DateTimeOffset? LastActionAt = null,
    string? FollowUpOfId = null,
    IReadOnlyList<string>? SlaMilestones = null,
    string? PendingApprovalId = null,
    TicketMerge? MergedInto = null,
    IReadOnlyList<string>? MergedFromIds = null,
    DateTimeOffset? DeletedAt = null,
    PortalVisibility Portal = PortalVisibility.Default,
    TicketLink? Project = null,
    TicketLink? Contract = null,
    TicketChat? Chat = null,
    bool OpenedInChat = false);

/// <summary>
/// The ticket aggregate. Every change goes through a method here, which checks the lifecycle
/// rule, changes the fields, and records one history entry and one domain event. Stores persist
/// the snapshot together with <see cref="PendingHistory"/> and <see cref="PendingEvents"/> in one
/// atomic write, so no change is ever saved without its history and its event.
/// </summary>
public sealed partial class Ticket
{
    public const int MaxSubjectLength = 200;
    public const int MaxDescriptionLength = 100_000;
    public const int MaxTags = 20;
    public const int MaxTagLength = 50;

    /// <summary>
    /// The type of a ticket the team opens for itself (Dolibarr's internal missions): it may have
    /// no requester, never emails anyone outside the team and is never in the customer portal.
    /// </summary>
    public const string InternalType = "internal";

    private readonly List<HistoryEntry> _pendingHistory = [];
    private readonly List<DomainEvent> _pendingEvents = [];
    private readonly List<HistoryNote> _pendingNotes = [];
    private TicketSnapshot _state;

    private Ticket(TicketSnapshot state, long version)
    {
        _state = state;
        Version = version;
    }

    /// <summary>The stored version this instance was read at; 0 before the first save.</summary>
    public long Version { get; private set; }

    public string Id => _state.Id;
    public string Number => _state.Number;
    public string Subject => _state.Subject;
    public string? Description => _state.Description;
    public TicketStatus Status => _state.Status;
    public Priority Priority => _state.Priority;
    public string? Type => _state.Type;
    public string? Group => _state.Group;
    public string? Severity => _state.Severity;
    public string? Impact => _state.Impact;
    /// <summary>The contact the ticket is for; null only on an internal ticket.</summary>
    public Requester? Requester => _state.Requester;

    /// <summary>An internal ticket: the team's own work, with no customer to tell (<see cref="InternalType"/>).</summary>
    public bool IsInternal => IsInternalType(_state.Type);
    public string? AccountId => _state.AccountId;
    public string? AssigneeId => _state.AssigneeId;
    public string? TeamId => _state.TeamId;
    public TicketLink? Project => _state.Project;
    public TicketLink? Contract => _state.Contract;
    public IReadOnlyList<string> Tags => _state.Tags;
    public int Progress => _state.Progress;
    public bool NotifyCustomer => _state.NotifyCustomer;
    public string? ResolutionSummary => _state.ResolutionSummary;
    public DateTimeOffset CreatedAt => _state.CreatedAt;
    public DateTimeOffset UpdatedAt => _state.UpdatedAt;
    public DateTimeOffset StartAt => _state.StartAt;
    public DateTimeOffset? DueAt => _state.DueAt;
    public DateTimeOffset? EndAt => _state.EndAt;

    /// <summary>Who sees the ticket in the customer portal.</summary>
    public PortalVisibility Portal => PortalOf(_state);

    /// <summary>The closed ticket this one continues, when a customer wrote to a closed ticket.</summary>
    public string? FollowUpOfId => _state.FollowUpOfId;

    /// <summary>
    /// The history of the changes made since the ticket was read. A save with any of them stores a
    /// new version, guarded by <see cref="Version"/>.
    /// </summary>
    public IReadOnlyList<HistoryEntry> PendingHistory => _pendingHistory;

    /// <summary>The events of those changes, and of acts that change nothing on the ticket (a reminder fired).</summary>
    public IReadOnlyList<DomainEvent> PendingEvents => _pendingEvents;

    /// <summary>History lines of acts that change nothing on the ticket (<see cref="HistoryNote"/>): stored once per key, without a new version.</summary>
    public IReadOnlyList<HistoryNote> PendingNotes => _pendingNotes;

    /// <summary>Whether the ticket itself changed since it was read: its save stores a new version.</summary>
    public bool HasChanges => _pendingHistory.Count > 0;

    /// <summary>The SLA-relevant facts, oldest first.</summary>
    public IReadOnlyList<TimelineMark> Timeline => _state.Timeline ?? [];

    /// <summary>When somebody (not the system) last did anything to the ticket.</summary>
    public DateTimeOffset LastActionAt => _state.LastActionAt ?? _state.CreatedAt;

    /// <summary>The SLA milestones (warnings, breaches, escalation levels) already acted on, by key.</summary>
    public IReadOnlyList<string> SlaMilestones => _state.SlaMilestones ?? [];

    public static Ticket Rehydrate(TicketSnapshot snapshot, long version) => new(snapshot, version);

    public TicketSnapshot ToSnapshot() => _state;

    /// <summary>Called by a store once the pending history, notes and events are durably written.</summary>
    public void MarkSaved(long newVersion)
    {
        Version = newVersion;
        _pendingHistory.Clear();
        _pendingEvents.Clear();
        _pendingNotes.Clear();
    }

    public static Ticket Create(NewTicket data, Actor by, TicketSettings settings, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(by);
        ArgumentNullException.ThrowIfNull(settings);
        if (data.Requester is null && !IsInternalType(data.Type))
        {
            throw new DomainValidationException("requester", $"Give the requester (only an internal ticket, of type {InternalType}, has none).");
        }

        var assigneeId = data.AssigneeId;
        if (assigneeId is null && by.Type == ActorType.Agent && settings.AutoAssignToCreator)
        {
            assigneeId = by.Id;
        }

        var status = assigneeId is not null
            ? TicketStatus.Assigned
            : by.Type == ActorType.Agent && settings.AutoMarkReadWhenCreatedByAgent
                ? TicketStatus.Open
                : TicketStatus.New;

        var state = new TicketSnapshot(
            Id: data.Id,
            Number: data.Number,
            Subject: CheckSubject(data.Subject),
            Description: CheckDescription(data.Description),
            Status: status,
            Priority: data.Priority,
            Type: Clean(data.Type),
            Group: Clean(data.Group),
            Severity: Clean(data.Severity),
            Impact: Clean(data.Impact),
            Requester: data.Requester,
            AccountId: data.AccountId,
            AssigneeId: assigneeId,
            TeamId: data.TeamId,
            Tags: CheckTags(data.Tags),
            Progress: 0,
            NotifyCustomer: data.NotifyCustomer,
            ResolutionSummary: null,
            CreatedAt: now,
            UpdatedAt: now,
            StartAt: data.StartAt ?? now,
            DueAt: data.DueAt,
            EndAt: null,
            FollowUpOfId: data.FollowUpOfId);

        var ticket = new Ticket(state, version: 0);
        ticket.Record(
            "created",
            TicketEventTypes.Created,
            by,
            now,
            [new FieldChange("status", null, Names.Of(status))],
            note: null,
            ("number", data.Number),
            ("status", Names.Of(status)),
            ("priority", Names.Of(data.Priority)),
            ("assigneeId", assigneeId),
            ("teamId", data.TeamId),
            ("followUpOf", data.FollowUpOfId),
            ("notifyCustomer", Format(data.NotifyCustomer)));
        return ticket;
    }

    /// <summary>New → open: somebody on the support side has read the ticket. Reading twice changes nothing.</summary>
    public void MarkRead(Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        if (Status != TicketStatus.New)
        {
            return;
        }

        ChangeStatus(TicketStatus.Open, "read", TicketEventTypes.Read, by, now, note: null);
    }

    /// <summary>"Start": work begins on the ticket.</summary>
    public void Start(Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        EnsureStatus("start", TicketStatus.New, TicketStatus.Open, TicketStatus.Assigned, TicketStatus.WaitingOnCustomer);
        ChangeStatus(TicketStatus.InProgress, "started", TicketEventTypes.Started, by, now, note: null);
    }

    /// <summary>"Take ownership": the calling agent assigns the ticket to themself.</summary>
    public void TakeOwnership(string agentId, Actor by, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(agentId);
        EnsureNotClosed();
        EnsureStatus("take", TicketStatus.New, TicketStatus.Open, TicketStatus.Assigned, TicketStatus.InProgress, TicketStatus.WaitingOnCustomer);
        if (AssigneeId == agentId)
        {
            return;
        }

        ApplyAssignment(agentId, TeamId, "taken", TicketEventTypes.Assigned, by, now, note: null);
    }

    /// <summary>Assigns to an agent and/or a team; a null argument leaves that side unchanged.</summary>
    public void Assign(string? assigneeId, string? teamId, Actor by, DateTimeOffset now)
    {
        if (assigneeId is null && teamId is null)
        {
            throw new DomainValidationException("assigneeId", "Name an agent, a team, or both.");
        }

        EnsureNotClosed();
        EnsureStatus("assign", TicketStatus.New, TicketStatus.Open, TicketStatus.Assigned, TicketStatus.InProgress, TicketStatus.WaitingOnCustomer);
        var newAssignee = assigneeId ?? AssigneeId;
        var newTeam = teamId ?? TeamId;
        if (newAssignee == AssigneeId && newTeam == TeamId)
        {
            return;
        }

        ApplyAssignment(newAssignee, newTeam, "assigned", TicketEventTypes.Assigned, by, now, note: null);
    }

    /// <summary>Escalates to a senior agent or another team; the note says why and is required.</summary>
    public void Escalate(string? toAgentId, string? toTeamId, string note, Actor by, DateTimeOffset now)
    {
        if (toAgentId is null && toTeamId is null)
        {
            throw new DomainValidationException("toAgentId", "Name the agent or the team to escalate to.");
        }

        if (string.IsNullOrWhiteSpace(note))
        {
            throw new DomainValidationException("note", "An escalation needs a note saying why.");
        }

        EnsureNotClosed();
        EnsureStatus("escalate", TicketStatus.New, TicketStatus.Open, TicketStatus.Assigned, TicketStatus.InProgress, TicketStatus.WaitingOnCustomer);
        ApplyAssignment(toAgentId ?? AssigneeId, toTeamId ?? TeamId, "escalated", TicketEventTypes.Escalated, by, now, note.Trim());
    }

    /// <summary>The ticket waits for the customer (SLA clocks pause there).</summary>
    public void WaitOnCustomer(Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        EnsureStatus("wait", TicketStatus.New, TicketStatus.Open, TicketStatus.Assigned, TicketStatus.InProgress);
        ChangeStatus(TicketStatus.WaitingOnCustomer, "waiting", TicketEventTypes.WaitingOnCustomer, by, now, note: null);
    }

    /// <summary>The customer wrote back while we waited on them: the ticket is active again.</summary>
    public void CustomerResponded(Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        if (Status == TicketStatus.WaitingOnCustomer)
        {
            ChangeStatus(ActiveStatus(), "customerResponded", TicketEventTypes.Updated, by, now, note: null);
        }
        else if (Status == TicketStatus.Resolved)
        {
            Reopen(by, now);
        }
    }

    /// <summary>
    /// An agent's public reply: emailed to the requester and cc, and the first one is the first
    /// response the SLA measures. A reply to a new ticket also marks it read.
    /// </summary>
    public void AddAgentReply(string messageId, IReadOnlyList<string> cc, Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        EnsureHasCustomer("reply publicly");
        var changes = new List<FieldChange>();
        if (Status == TicketStatus.New)
        {
            _state = _state with { Status = TicketStatus.Open };
            changes.Add(new FieldChange("status", Names.Of(TicketStatus.New), Names.Of(TicketStatus.Open)));
        }

        RecordMessage(MessageActions.AgentReplied, messageId, MessageVisibility.Public, cc, by, now, changes);
        AnsweredInChat(messageId, cc, by);
    }

    /// <summary>A note for the team only. It is not a reply: no SLA clock sees it.</summary>
    public void AddInternalNote(string messageId, IReadOnlyList<string> cc, Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        RecordMessage(MessageActions.NoteAdded, messageId, MessageVisibility.Internal, cc, by, now, []);
    }

    /// <summary>
    /// A private message: sent by an agent to chosen recipients (<paramref name="to"/>: agents or
    /// outside addresses, never the requester), or one of those recipients answering by mail. The
    /// customer never sees it, and like a note it is no reply for the SLA and wakes no ticket.
    /// </summary>
    public void AddPrivateMessage(string messageId, IReadOnlyList<string> to, IReadOnlyList<string> cc, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(to);
        EnsureNotClosed();
        if (_state.Requester is { } requester && to.Any(a => string.Equals(a, requester.Email, StringComparison.OrdinalIgnoreCase)))
        {
            throw new DomainValidationException("to", "The requester never receives a private message: reply publicly instead.");
        }

        RecordMessage(MessageActions.PrivateMessage, messageId, MessageVisibility.Private, cc, by, now, [], ("to", string.Join(',', to)));
    }

    /// <summary>
    /// The customer wrote (portal or mail): a ticket waiting on them becomes active again and a
    /// resolved one reopens. A closed ticket refuses; the caller opens a follow-up instead.
    /// </summary>
    public void AddCustomerMessage(string messageId, IReadOnlyList<string> cc, Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        RecordMessage(MessageActions.CustomerMessage, messageId, MessageVisibility.Public, cc, by, now, []);
        CustomerWroteInChat(by, now);
        CustomerResponded(by, now);
    }

    /// <summary>A file joins the ticket (or one of its messages).</summary>
    public void AddAttachment(string attachmentId, string fileName, long size, string? messageId, Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        Record(
            "attachmentAdded",
            TicketEventTypes.AttachmentAdded,
            by,
            now,
            [],
            fileName,
            ("attachmentId", attachmentId),
            ("fileName", fileName),
            ("size", size.ToString(CultureInfo.InvariantCulture)),
            ("messageId", messageId));
    }

    public void RemoveAttachment(string attachmentId, string fileName, Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        Record("attachmentRemoved", TicketEventTypes.AttachmentRemoved, by, now, [], fileName, ("attachmentId", attachmentId), ("fileName", fileName));
    }

    public void Resolve(string? summary, bool? notifyCustomer, Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        EnsureStatus("resolve", TicketStatus.New, TicketStatus.Open, TicketStatus.Assigned, TicketStatus.InProgress, TicketStatus.WaitingOnCustomer);
        var from = Status;
        var cleanSummary = string.IsNullOrWhiteSpace(summary) ? null : summary.Trim();
        _state = _state with
        {
            Status = TicketStatus.Resolved,
            EndAt = now,
            ResolutionSummary = cleanSummary,
            NotifyCustomer = notifyCustomer ?? NotifyCustomer,
        };
        Record(
            "resolved",
            TicketEventTypes.Resolved,
            by,
            now,
            [new FieldChange("status", Names.Of(from), Names.Of(TicketStatus.Resolved)), new FieldChange("endAt", null, Format(now))],
            cleanSummary,
            ("from", Names.Of(from)),
            ("to", Names.Of(TicketStatus.Resolved)),
            ("summary", cleanSummary),
            ("notifyCustomer", Format(NotifyCustomer)));
    }

    /// <summary>Closing is final: afterwards the ticket is read-only.</summary>
    public void Close(bool? notifyCustomer, Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        var from = Status;
        var endAt = EndAt ?? now;
        _state = _state with
        {
            Status = TicketStatus.Closed,
            EndAt = endAt,
            NotifyCustomer = notifyCustomer ?? NotifyCustomer,
        };
        List<FieldChange> changes = [new FieldChange("status", Names.Of(from), Names.Of(TicketStatus.Closed))];
        if (from != TicketStatus.Resolved)
        {
            changes.Add(new FieldChange("endAt", null, Format(endAt)));
        }

        Record(
            "closed",
            TicketEventTypes.Closed,
            by,
            now,
            changes,
            note: null,
            ("from", Names.Of(from)),
            ("to", Names.Of(TicketStatus.Closed)),
            ("notifyCustomer", Format(NotifyCustomer)));
    }

    /// <summary>A resolved ticket comes back to work; a closed one never does.</summary>
    public void Reopen(Actor by, DateTimeOffset now)
    {
        EnsureNotClosed();
        EnsureStatus("reopen", TicketStatus.Resolved);
        var to = ActiveStatus();
        var endAt = EndAt;
        _state = _state with { Status = to, EndAt = null };
        Record(
            "reopened",
            TicketEventTypes.Reopened,
            by,
            now,
            [new FieldChange("status", Names.Of(TicketStatus.Resolved), Names.Of(to)), new FieldChange("endAt", Format(endAt), null)],
            note: null,
            ("from", Names.Of(TicketStatus.Resolved)),
            ("to", Names.Of(to)));
    }

    /// <summary>Applies a merge patch. On a closed ticket only a permitted reclassification passes.</summary>
    public void Update(TicketChanges changes, TicketSettings settings, Actor by, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(settings);
        if (Status == TicketStatus.Closed)
        {
            var onlyReclassifies = !changes.Subject.HasValue && !changes.Description.HasValue && !changes.Priority.HasValue
                && !changes.Impact.HasValue && !changes.StartAt.HasValue && !changes.DueAt.HasValue && !changes.Progress.HasValue && !changes.Tags.HasValue
                && !changes.AccountId.HasValue && !changes.Requester.HasValue && !changes.NotifyCustomer.HasValue;
            if (!settings.AllowReclassifyClosed || !onlyReclassifies)
            {
                throw ClosedIsReadOnly();
            }
        }

        var before = _state;
        var after = before;
        var diff = new List<FieldChange>();

        void Track(string field, string? from, string? to)
        {
            if (from != to)
            {
                diff.Add(new FieldChange(field, from, to));
            }
        }

        if (changes.Subject.HasValue)
        {
            after = after with { Subject = CheckSubject(changes.Subject.Value) };
            Track("subject", before.Subject, after.Subject);
        }

        if (changes.Description.HasValue)
        {
            after = after with { Description = CheckDescription(changes.Description.Value) };
            Track("description", before.Description, after.Description);
        }

        if (changes.Priority.HasValue)
        {
            after = after with { Priority = changes.Priority.Value };
            Track("priority", Names.Of(before.Priority), Names.Of(after.Priority));
        }

        if (changes.Type.HasValue)
        {
            after = after with { Type = Clean(changes.Type.Value) };
            Track("type", before.Type, after.Type);
        }

        if (changes.Group.HasValue)
        {
            after = after with { Group = Clean(changes.Group.Value) };
            Track("group", before.Group, after.Group);
        }

        if (changes.Severity.HasValue)
        {
            after = after with { Severity = Clean(changes.Severity.Value) };
            Track("severity", before.Severity, after.Severity);
        }

        if (changes.Impact.HasValue)
        {
            after = after with { Impact = Clean(changes.Impact.Value) };
            Track("impact", before.Impact, after.Impact);
        }

        if (changes.StartAt.HasValue)
        {
            after = after with { StartAt = changes.StartAt.Value };
            Track("startAt", Format(before.StartAt), Format(after.StartAt));
        }

        if (changes.DueAt.HasValue)
        {
            after = after with { DueAt = changes.DueAt.Value };
            Track("dueAt", Format(before.DueAt), Format(after.DueAt));
        }

        if ((changes.StartAt.HasValue || changes.DueAt.HasValue) && after.DueAt is { } due && due <= after.StartAt)
        {
            throw new DomainValidationException(changes.DueAt.HasValue ? "dueAt" : "startAt", "The due date comes after the start date.");
        }

        if (changes.Progress.HasValue)
        {
            after = after with { Progress = CheckProgress(changes.Progress.Value) };
            Track("progress", Format(before.Progress), Format(after.Progress));
        }

        if (changes.Tags.HasValue)
        {
            after = after with { Tags = CheckTags(changes.Tags.Value) };
            Track("tags", string.Join(',', before.Tags), string.Join(',', after.Tags));
        }

        if (changes.AccountId.HasValue)
        {
            after = after with { AccountId = changes.AccountId.Value };
            Track("accountId", before.AccountId, after.AccountId);
        }

        if (changes.Requester.HasValue)
        {
            after = after with { Requester = changes.Requester.Value };
            Track("contactId", before.Requester?.ContactId, after.Requester?.ContactId);
        }

        if (after.Requester is null && !IsInternalType(after.Type))
        {
            throw new DomainValidationException(changes.Type.HasValue ? "type" : "contactId", $"A ticket without a requester stays of type {InternalType}: give it a requester (contactId) first.");
        }

        if (changes.NotifyCustomer.HasValue)
        {
            after = after with { NotifyCustomer = changes.NotifyCustomer.Value };
            Track("notifyCustomer", Format(before.NotifyCustomer), Format(after.NotifyCustomer));
        }

        if (changes.Project.HasValue)
        {
            after = after with { Project = changes.Project.Value };
            Track("project", TicketLink.Describe(before.Project), TicketLink.Describe(after.Project));
        }

        if (changes.Contract.HasValue)
        {
            after = after with { Contract = changes.Contract.Value };
            Track("contract", TicketLink.Describe(before.Contract), TicketLink.Describe(after.Contract));
        }

        if (diff.Count == 0)
        {
            return;
        }

        _state = after;
        Record(
            "updated",
            TicketEventTypes.Updated,
            by,
            now,
            diff,
            note: null,
            ("fields", string.Join(',', diff.Select(d => d.Field))));
    }

    private void RecordMessage(string action, string messageId, MessageVisibility visibility, IReadOnlyList<string> cc, Actor by, DateTimeOffset now, IReadOnlyList<FieldChange> changes, params (string, string?)[] extra)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        ArgumentNullException.ThrowIfNull(cc);
        (string, string?)[] data =
        [
            ("messageId", messageId),
            ("visibility", Names.Of(visibility)),
            ("authorType", Names.Of(by.Type)),
            ("cc", string.Join(',', cc)),
            ("notifyCustomer", Format(NotifyCustomer)),
            .. extra,
        ];

        // A public message written while a chat is open is delivered in it (the chat's id says so).
        Record(action, TicketEventTypes.MessageAdded, by, now, changes, note: null, visibility == MessageVisibility.Public && _state.Chat is { } chat ? [.. data, ("chatId", chat.Id)] : data);
    }

    private TicketStatus ActiveStatus() => AssigneeId is null ? TicketStatus.Open : TicketStatus.Assigned;

    private void ApplyAssignment(string? assigneeId, string? teamId, string action, string eventType, Actor by, DateTimeOffset now, string? note)
    {
        var from = _state;
        var status = assigneeId is not null && from.Status is TicketStatus.New or TicketStatus.Open
            ? TicketStatus.Assigned
            : from.Status;
        _state = _state with { AssigneeId = assigneeId, TeamId = teamId, Status = status };

        var changes = new List<FieldChange>();
        if (from.AssigneeId != assigneeId)
        {
            changes.Add(new FieldChange("assigneeId", from.AssigneeId, assigneeId));
        }

        if (from.TeamId != teamId)
        {
            changes.Add(new FieldChange("teamId", from.TeamId, teamId));
        }

        if (from.Status != status)
        {
            changes.Add(new FieldChange("status", Names.Of(from.Status), Names.Of(status)));
        }

        Record(
            action,
            eventType,
            by,
            now,
            changes,
            note,
            ("assigneeId", assigneeId),
            ("previousAssigneeId", from.AssigneeId),
            ("teamId", teamId),
            ("previousTeamId", from.TeamId),
            ("note", note));
    }

    private void ChangeStatus(TicketStatus to, string action, string eventType, Actor by, DateTimeOffset now, string? note)
    {
        var from = Status;
        _state = _state with { Status = to };
        Record(
            action,
            eventType,
            by,
            now,
            [new FieldChange("status", Names.Of(from), Names.Of(to))],
            note,
            ("from", Names.Of(from)),
            ("to", Names.Of(to)));
    }

    private void Record(
        string action,
        string eventType,
        Actor by,
        DateTimeOffset now,
        IReadOnlyList<FieldChange> changes,
        string? note,
        params (string Key, string? Value)[] data)
    {
        _state = _state with
        {
            UpdatedAt = now,
            LastActionAt = by.Type == ActorType.System ? _state.LastActionAt : now,
            Timeline = [.. Timeline, .. TimelineMarks(action, changes, now)],
        };
        _pendingHistory.Add(new HistoryEntry(now, by, action, changes, note));
        var payload = data.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal);
        payload["number"] = Number;
        payload["action"] = action;
        if (action != "created" && changes.FirstOrDefault(c => c.Field == "status") is { } status)
        {
            // Every status change says so the same way, whatever the event (customer status emails).
            payload["statusFrom"] = status.From;
            payload["statusTo"] = status.To;
        }

        _pendingEvents.Add(new DomainEvent(Guid.CreateVersion7(now), eventType, Id, now, by, payload));
    }

    private IEnumerable<TimelineMark> TimelineMarks(string action, IReadOnlyList<FieldChange> changes, DateTimeOffset now)
    {
        if (action == "created")
        {
            yield return new TimelineMark(now, TimelineKinds.Status, Names.Of(Status));
            yield return new TimelineMark(now, TimelineKinds.Priority, Names.Of(Priority));
            yield return new TimelineMark(now, TimelineKinds.Type, Type);
            yield return new TimelineMark(now, TimelineKinds.Team, TeamId);
            yield break;
        }

        if (action is MessageActions.AgentReplied or MessageActions.CustomerMessage)
        {
            yield return new TimelineMark(now, action);
        }

        foreach (var change in changes)
        {
            var kind = change.Field switch
            {
                "status" => TimelineKinds.Status,
                "priority" => TimelineKinds.Priority,
                "type" => TimelineKinds.Type,
                "teamId" => TimelineKinds.Team,
                _ => null,
            };
            if (kind is not null)
            {
                yield return new TimelineMark(now, kind, change.To);
            }
        }
    }

    /// <summary>
    /// Records an SLA milestone — a warning, a breach, an escalation level — once per key, with
    /// its history entry and event. Returns false when the key is already recorded, so a repeated
    /// or overlapping breach scan never acts twice (the version check settles a race).
    /// </summary>
    public bool RecordSlaMilestone(string key, string action, string eventType, string note, DateTimeOffset now, params (string Key, string? Value)[] data)
    {
        if (SlaMilestones.Contains(key, StringComparer.Ordinal))
        {
            return false;
        }

        _state = _state with { SlaMilestones = [.. SlaMilestones, key] };
        Record(action, eventType, Actor.System("sla"), now, [], note, [("milestone", key), .. data]);
        return true;
    }

    /// <summary>An internal ticket has nobody outside the team to write to.</summary>
    private void EnsureHasCustomer(string operation)
    {
        if (IsInternal)
        {
            throw new DomainRuleException("internal-ticket", $"An internal ticket has no customer: it cannot {operation}. Write an internal note.");
        }
    }

    private static bool IsInternalType(string? type) => string.Equals(type?.Trim(), InternalType, StringComparison.OrdinalIgnoreCase);

    private void EnsureNotClosed()
    {
        if (Status == TicketStatus.Closed)
        {
            throw ClosedIsReadOnly();
        }
    }

    private void EnsureStatus(string operation, params TicketStatus[] allowed)
    {
        if (!allowed.Contains(Status))
        {
            throw new DomainRuleException(
                "invalid-transition",
                string.Create(CultureInfo.InvariantCulture, $"A ticket that is {Names.Of(Status)} cannot {operation}."));
        }
    }

    private static DomainRuleException ClosedIsReadOnly() =>
        new("ticket-closed", "The ticket is closed: closed tickets are read-only.");

    /// <summary>
    /// The subject of a ticket opened from something that cannot be refused for its length (a mail,
    /// a split message): trimmed, "(no subject)" when empty, cut to <see cref="MaxSubjectLength"/>.
    /// </summary>
    public static string FitSubject(string? subject)
    {
        var clean = string.IsNullOrWhiteSpace(subject) ? "(no subject)" : subject.Trim();
        return clean.Length > MaxSubjectLength ? clean[..MaxSubjectLength].TrimEnd() : clean;
    }

    /// <summary>A description taken from a message's text, cut to <see cref="MaxDescriptionLength"/>.</summary>
    public static string FitDescription(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length > MaxDescriptionLength ? text[..MaxDescriptionLength] : text;
    }

    private static string CheckSubject(string? subject)
    {
        var clean = subject?.Trim();
        if (string.IsNullOrEmpty(clean))
        {
            throw new DomainValidationException("subject", "The subject is required.");
        }

        return clean.Length > MaxSubjectLength
            ? throw new DomainValidationException("subject", $"The subject is at most {MaxSubjectLength} characters.")
            : clean;
    }

    private static string? CheckDescription(string? description) =>
        description is { Length: > MaxDescriptionLength }
            ? throw new DomainValidationException("description", $"The description is at most {MaxDescriptionLength} characters.")
            : description;

    private static int CheckProgress(int progress) =>
        progress is < 0 or > 100
            ? throw new DomainValidationException("progress", "Progress is a percentage from 0 to 100.")
            : progress;

    private static string[] CheckTags(IReadOnlyList<string> tags)
    {
        var clean = tags.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (clean.Length > MaxTags)
        {
            throw new DomainValidationException("tags", $"A ticket has at most {MaxTags} tags.");
        }

        return clean.Any(t => t.Length > MaxTagLength)
            ? throw new DomainValidationException("tags", $"A tag is at most {MaxTagLength} characters.")
            : clean;
    }

    private static string? Clean(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? Format(DateTimeOffset? value) =>
        value?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Format(bool value) => value ? "true" : "false";
}
