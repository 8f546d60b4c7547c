using Helpdesk.Api.Auth;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;
using Microsoft.Extensions.Options;

namespace Helpdesk.Api.Portal;

/// <summary>Customer portal settings (configuration section <c>Portal</c>).</summary>
public sealed class PortalOptions
{
    public const string Section = "Portal";

    /// <summary>A customer sees every ticket of their account, not only the ones they asked.</summary>
    public bool AccountWideTickets { get; set; }
}

/// <summary>
/// What the calling customer may see: their own tickets, or their account's when configured.
/// Anything else is reported as missing, never as forbidden, so ticket ids reveal nothing.
/// </summary>
public sealed class PortalAccess(CurrentUser user, IDirectoryStore directory, ITicketStore tickets, IConversationStore messages, IOptions<PortalOptions> options)
{
    private Contact? _contact;

    /// <summary>The caller's active contact, or null when the token names none.</summary>
    public async Task<Contact?> ContactAsync(CancellationToken cancellationToken)
    {
        if (_contact is null && user.ContactId is not null)
        {
            _contact = (await directory.FindAsync(DirectoryKinds.Contact, user.ContactId, cancellationToken))?.Value;
        }

        return _contact is { Active: true } ? _contact : null;
    }

    public bool AccountWide => options.Value.AccountWideTickets;

    public async Task<Ticket?> FindVisibleAsync(string ticketId, CancellationToken cancellationToken)
    {
        var contact = await ContactAsync(cancellationToken);
        if (contact is null)
        {
            return null;
        }

        var ticket = await tickets.FindAsync(ticketId, cancellationToken);
        return ticket is not null && CanSee(contact, ticket) ? ticket : null;
    }

    /// <summary>Whether the message is a public one the calling customer wrote on that ticket.</summary>
    public async Task<bool> IsOwnMessageAsync(string ticketId, string messageId, CancellationToken cancellationToken)
    {
        var contact = await ContactAsync(cancellationToken);
        var message = contact is null ? null : await messages.FindAsync(ticketId, messageId, cancellationToken);
        return message is { Visibility: MessageVisibility.Public, Author.Type: ActorType.Customer } && message.Author.Id == contact!.Id;
    }

    /// <summary>The calling contact as a reader of the portal (<see cref="PortalViewer"/>: their tickets and the ones shared with their account).</summary>
    public PortalViewer Viewer(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return new PortalViewer(contact.Id, contact.AccountId, AccountWide);
    }

    public bool CanSee(Contact contact, Ticket ticket) => Viewer(contact).Sees(ticket);
}
