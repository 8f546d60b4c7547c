using System.Security.Cryptography;
using System.Text;

namespace Helpdesk.Api.Privacy;

/// <summary>
/// The stand-in of an erased contact: derived from the contact's id (never from the erased email,
/// whose hash anyone holding the address could recompute), so every place erased on a retry gets
/// the same one. The email is under <c>.invalid</c> (RFC 2606): nothing is ever sent to it.
/// </summary>
public static class Pseudonyms
{
    public static string Of(string contactId)
    {
        ArgumentNullException.ThrowIfNull(contactId);
        return "erased-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(contactId)))[..12];
    }

    public static string EmailOf(string contactId) => Of(contactId) + "@erased.invalid";
}
