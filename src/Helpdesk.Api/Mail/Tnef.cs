using MimeKit;
using MimeKit.Tnef;

namespace Helpdesk.Api.Mail;

/// <summary>
/// Outlook's rich-text wrapping (winmail.dat, <c>application/ms-tnef</c>), read with MimeKit's TNEF
/// reader: the files it carries come out as files; its message body (the mail's body already
/// came through Graph) is left out.
/// </summary>
public static class Tnef
{
    /// <summary>
    /// TNEF's strings are in the sender's ANSI code page (1252 for most Outlook mail), which .NET
    /// only decodes once the code-pages provider is registered; without it MimeKit's reader fails
    /// on the first attachment's name.
    /// </summary>
    static Tnef() => System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);

    public static bool IsTnef(string fileName, string? contentType) =>
        string.Equals(fileName, "winmail.dat", StringComparison.OrdinalIgnoreCase)
        || string.Equals(contentType, "application/ms-tnef", StringComparison.OrdinalIgnoreCase)
        || string.Equals(contentType, "application/vnd.ms-tnef", StringComparison.OrdinalIgnoreCase);

    /// <summary>The files inside, or null when the bytes are not readable TNEF or carry no file (the wrapping is then kept as it is).</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)>? Unpack(byte[] tnef)
    {
        ArgumentNullException.ThrowIfNull(tnef);
        try
        {
            var part = new TnefPart { Content = new MimeContent(new MemoryStream(tnef, writable: false)) };
            IReadOnlyList<(string Name, byte[] Bytes)> files = [.. part.ExtractAttachments().OfType<MimePart>().Where(p => p.IsAttachment || p.FileName is not null).Select(p => (p.FileName ?? "attachment", Bytes(p)))];

            // MimeKit's reader stops quietly at bytes that are not TNEF: nothing found is not readable.
            return files.Count == 0 ? null : files;
        }
        catch (Exception e) when (e is TnefException or FormatException or ParseException or EndOfStreamException or ArgumentException)
        {
            return null;
        }
    }

    private static byte[] Bytes(MimePart part)
    {
        using var buffer = new MemoryStream();
        part.Content?.DecodeTo(buffer);
        return buffer.ToArray();
    }
}
