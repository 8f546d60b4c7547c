using Helpdesk.Api.Auth;
using Helpdesk.Api.Common;

namespace Helpdesk.Api.Notifications;

/// <summary>What marking the whole inbox read did.</summary>
public sealed record InboxReadAll(int Marked);

/// <summary>
/// The caller's own notification inbox (staff only): popup reminders of their activities and the
/// internal notes that @mention or copy them. Nobody reads or marks another agent's entries: an
/// entry of someone else's inbox is a 404, like one that does not exist.
/// </summary>
public static class NotificationInboxEndpoints
{
    public static RouteGroupBuilder MapNotificationInboxEndpoints(this RouteGroupBuilder api)
    {
        var inbox = api.MapGroup("/me/notifications").WithTags("notifications").RequireAuthorization(Policies.Staff);
        inbox.MapGet("/", ListAsync).WithName("ListMyNotifications")
            .WithSummary("The caller's inbox, newest first (unread=true: only the unread ones), with the number of unread entries")
            .Produces<InboxPage>().ProducesProblems(StatusCodes.Status409Conflict);
        inbox.MapPost("/{notificationId}/read", ReadAsync).WithName("ReadMyNotification")
            .WithSummary("Marks one entry of the caller's inbox read (again: keeps the first read time)")
            .Produces<InboxEntry>().ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        inbox.MapPost("/read-all", ReadAllAsync).WithName("ReadAllMyNotifications")
            .WithSummary("Marks every unread entry of the caller's inbox read")
            .Produces<InboxReadAll>().ProducesProblems(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<IResult> ListAsync(bool? unread, int? limit, string? cursor, Caller caller, INotificationInbox inbox, CancellationToken cancellationToken)
    {
        if (Paging.RefuseLimit(limit) is { } refused)
        {
            return refused;
        }

        if (await caller.AgentAsync(cancellationToken) is not { } agent)
        {
            return NotificationEndpoints.NotAnAgent(caller);
        }

        var page = await inbox.ListAsync(agent.Id, unread ?? false, limit ?? Paging.DefaultLimit, cursor, cancellationToken);
        return TypedResults.Ok(new InboxPage(page.Items, page.NextCursor, await inbox.UnreadCountAsync(agent.Id, cancellationToken)));
    }

    private static async Task<IResult> ReadAsync(string notificationId, Caller caller, INotificationInbox inbox, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await caller.AgentAsync(cancellationToken) is not { } agent)
        {
            return NotificationEndpoints.NotAnAgent(caller);
        }

        return await inbox.MarkReadAsync(agent.Id, notificationId, clock.GetUtcNow(), cancellationToken) is { } entry
            ? TypedResults.Ok(entry)
            : Problems.NotFound("notification");
    }

    private static async Task<IResult> ReadAllAsync(Caller caller, INotificationInbox inbox, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await caller.AgentAsync(cancellationToken) is not { } agent)
        {
            return NotificationEndpoints.NotAnAgent(caller);
        }

        return TypedResults.Ok(new InboxReadAll(await inbox.MarkAllReadAsync(agent.Id, clock.GetUtcNow(), cancellationToken)));
    }
}
