using Helpdesk.Domain.Common;

namespace Helpdesk.Domain.Tickets;

/// <summary>Who sees a ticket in the customer portal (the seeds' "make the ticket visible to the customer").</summary>
public enum PortalVisibility
{
    /// <summary>As the portal settings say: the requester, or every contact of the account when the portal is account-wide.</summary>
    Default,

    /// <summary>Only the requester.</summary>
    Requester,

    /// <summary>Shared with every contact of the ticket's account, besides the requester.</summary>
    Account,

    /// <summary>Not in the portal at all, not even for the requester (emails still follow the notify flag).</summary>
    Hidden,
}

/// <summary>
/// Portal visibility changes who may read the ticket, not what it says, so it is allowed on a
/// closed ticket too (sharing a solved case with the customer's colleagues afterwards).
/// </summary>
public sealed partial class Ticket
{
    public const string PortalVisibilityAction = "portalVisibilityChanged";

    /// <summary>Who sees a stored ticket in the portal: nobody for an internal ticket, else its own setting.</summary>
    public static PortalVisibility PortalOf(TicketSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return IsInternalType(snapshot.Type) ? PortalVisibility.Hidden : snapshot.Portal;
    }

    public void ChangePortalVisibility(PortalVisibility visibility, Actor by, DateTimeOffset now)
    {
        if (!Enum.IsDefined(visibility))
        {
            throw new DomainValidationException("visibility", "The visibility is default, requester, account or hidden.");
        }

        EnsureHasCustomer("be shown in the portal");
        var from = Portal;
        if (from == visibility)
        {
            return;
        }

        _state = _state with { Portal = visibility };
        Record(
            PortalVisibilityAction,
            TicketEventTypes.Updated,
            by,
            now,
            [new FieldChange("portalVisibility", Names.Of(from), Names.Of(visibility))],
            note: null,
            ("fields", "portalVisibility"),
            ("portalVisibility", Names.Of(visibility)));
    }
}
