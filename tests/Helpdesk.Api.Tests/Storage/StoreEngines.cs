using Helpdesk.Api.Activities;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Microsoft.Extensions.Logging.Abstractions;

namespace Helpdesk.Api.Tests.Storage;

/// <summary>
/// The ticket stores of both engines as the store-level tests build them by hand: with every kind
/// of ticket item the contract tests write, as the capabilities register them in the app.
/// </summary>
internal static class StoreEngines
{
    public static ApprovalOptions Approvals { get; } = new() { ReminderAfterHours = 24 };

    public static IReadOnlyList<SqliteMigration> SqliteMigrations =>
    [
        .. SqliteSchema.All,
        SqliteTicketStore.MergesMigration,
        SqliteTicketStore.HistoryNotesMigration,
        SqliteTicketStore.PortalMigration,
        SqliteTicketStore.ReceiptsMigration,
        SqliteTicketStore.SearchMigration,
        SqliteConversationStore.Migration,
        SqliteConversationStore.Versions,
        SqliteAttachmentIndex.Migration,
        SqliteAttachmentIndex.Versions,
        SqliteTimeStore.Schema,
        SqliteTimeStore.TimerVersions,
        SqliteCostLineStore.Schema,
        SqliteActivityStore.Schema,
        SqliteApprovalStore.Schema,
    ];

    public static SqliteTicketStore Sqlite(SqliteDatabase database) =>
        new(
            database,
            new DueDateScheduler(),
            [
                SqliteConversationStore.Table,
                SqliteAttachmentIndex.Table,
                SqliteTimeStore.Entries,
                SqliteTimeStore.Presences,
                SqliteTimeStore.Timers,
                SqliteCostLineStore.Table,
                SqliteActivityStore.Table,
                SqliteApprovalStore.Table(Approvals),
            ],
            []);

    public static CosmosTicketStore Cosmos(CosmosContainers containers, CosmosSequence sequence, CosmosUniqueKeys keys, CosmosRetry retry, CosmosTicketItems items) =>
        new(
            containers,
            sequence,
            keys,
            new DueDateScheduler(),
            retry,
            items,
            [
                CosmosConversationStore.ItemKind,
                CosmosAttachmentIndex.ItemKind,
                CosmosTimeStore.Entries,
                CosmosTimeStore.Presences,
                new CosmosItemKind(TicketItemKinds.Timer) { Guard = new CosmosTimerGuard(items, keys) },
                CosmosCostLineStore.ItemKind,
                CosmosActivityStore.ItemKind,
                CosmosApprovalStore.ItemKind(Approvals),
            ],
            [],
            NullLogger<CosmosTicketStore>.Instance);
}
