namespace Helpdesk.Web.Resources;

/// <summary>
/// The console's texts: Strings.resx (English, the neutral language) and Strings.fr.resx, read
/// through <c>IStringLocalizer&lt;Strings&gt;</c>. A test checks both files hold the same keys.
/// </summary>
public sealed class Strings;
