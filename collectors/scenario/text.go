package scenario

// Vocabulary of the synthetic campaign. Organic text is assembled from several independent
// parts so that two people rarely write the same sentence, as in real chatter; the
// operations reuse one template with small edits, as real bot networks do.

type candidate struct {
	name   string // as written in text
	handle string // official account, only ever @-mentioned
	tags   []string
}

var candidates = []candidate{
	{"Macron", "EmmanuelMacron", []string{"Macron", "EnMarche", "Macron2017", "JeVoteMacron"}},
	{"Emmanuel Macron", "EmmanuelMacron", []string{"Macron", "EnMarche"}},
	{"Le Pen", "MLP_officiel", []string{"LePen", "Marine2017", "AuNomDuPeuple"}},
	{"Marine Le Pen", "MLP_officiel", []string{"Marine2017", "FN"}},
	{"Mélenchon", "JLMelenchon", []string{"Melenchon", "FranceInsoumise"}},
	{"Fillon", "FrancoisFillon", []string{"Fillon"}},
	{"Dupont-Aignan", "dupontaignan", []string{"NDA"}},
	{"Hamon", "benoithamon", []string{"Hamon"}},
}

// candWeights favours the two run-off candidates.
var candWeights = []float64{6, 3, 5, 3, 1.5, 0.8, 0.8, 0.5}

// popularTags are the campaign's common hashtags with Zipf-like weights.
var popularTags = []string{
	"Presidentielle2017", "2017LeDebat", "Macron", "LePen", "SecondTour", "Election2017",
	"DebatMacronLePen", "FrenchElection", "JeVoteMacron", "Marine2017", "7mai", "FN",
	"EnMarche", "AuNomDuPeuple", "SansMoiLe7Mai", "Macron2017", "France", "LesRépublicains",
	"Législatives", "NiPatrieNiPatron",
}

var topicsFR = []string{
	"l'Europe", "le chômage", "la sécurité", "l'immigration", "les retraites", "l'euro",
	"la loi travail", "le terrorisme", "l'école", "la dette", "le pouvoir d'achat",
	"l'agriculture", "la santé", "le logement", "l'écologie", "les impôts", "la laïcité",
}

var topicsEN = []string{
	"the EU", "jobs", "security", "immigration", "pensions", "the euro", "labour reform",
	"terrorism", "schools", "the debt", "Russia", "trade", "climate", "taxes", "NATO",
}

var openersFR = []string{
	"", "", "", "Franchement, ", "Bon. ", "Sérieusement, ", "Alors ", "Hmm ", "Je le dis : ",
	"Encore une fois, ", "Bref, ", "Honnêtement ", "Question : ", "Ok donc ", "Rappel : ",
	"Ce matin, ", "Ce soir ", "Vu à la télé : ", "Mon avis : ", "Juste pour info, ",
}

var openersEN = []string{
	"", "", "", "Honestly, ", "So ", "Wow. ", "Reminder: ", "Hot take: ", "Interesting: ",
	"Watching this: ", "Ok, ", "Just saw this: ", "Breaking: ", "Well, ",
}

// Sentence bodies: %[1]s a candidate, %[2]s another candidate, %[3]s a topic, %[4]d a number.
var bodiesFR = []string{
	"%[1]s a raison sur %[3]s, enfin quelqu'un qui le dit",
	"le programme de %[1]s sur %[3]s ne tient pas la route",
	"%[1]s ou %[2]s, quel choix pour dimanche",
	"sondage : %[1]s à %[4]d%% au second tour",
	"je ne comprends toujours pas la position de %[1]s sur %[3]s",
	"%[1]s esquive encore la question sur %[3]s",
	"entre %[1]s et %[2]s le débat sur %[3]s tourne en rond",
	"%[1]s promet %[4]d milliards pour %[3]s, qui paie",
	"meeting de %[1]s aujourd'hui, salle pleine paraît-il",
	"on parle trop peu de %[3]s dans cette campagne",
	"%[1]s veut tout changer sur %[3]s, je demande à voir",
	"les électeurs de %[2]s vont-ils voter %[1]s au second tour",
	"le bilan de %[1]s sur %[3]s est plus nuancé qu'on le dit",
	"%[1]s contre %[2]s : deux visions de %[3]s",
	"personne n'a lu le programme de %[1]s sur %[3]s en entier",
	"ma grand-mère votera %[1]s, moi je ne sais pas encore",
	"le clip de %[1]s est plutôt réussi",
	"%[4]d jours de campagne et toujours rien sur %[3]s",
	"interview de %[1]s ce matin, très offensif sur %[3]s",
	"abstention ou vote blanc face à %[1]s et %[2]s",
}

var bodiesEN = []string{
	"%[1]s leads %[2]s by %[4]d points ahead of Sunday's run-off",
	"%[1]s on %[3]s sounds a lot like every other politician",
	"the French race between %[1]s and %[2]s is about %[3]s, really",
	"%[1]s rally in Paris today, huge crowd",
	"interesting analysis of what %[1]s means for %[3]s",
	"if %[2]s wins it changes everything for %[3]s",
	"%[1]s vs %[2]s, France decides on Sunday",
	"polls give %[1]s %[4]d%% in the second round",
	"nobody outside France understands %[1]s on %[3]s",
	"%[1]s just said something remarkable about %[3]s",
}

var closersFR = []string{"", "", "", " 🙄", " !", "...", " 🇫🇷", " 😂", " #DitesNous", " à suivre", " ?!", " (source : la radio)", " 👀", " hélas", " on verra"}
var closersEN = []string{"", "", "", " 🇫🇷", "!", "...", " 👀", " We'll see.", " Wow.", " (via a friend)"}

// Debate-night reactions; the debate makes people write short, similar lines, which is
// real organic near-duplication the detector must live with.
var debateFR = []string{
	"%[1]s est en train de perdre ce débat", "quel débat lamentable", "%[1]s n'a pas révisé ses fiches",
	"%[1]s marque des points sur %[3]s", "%[2]s s'énerve, mauvais signe", "je coupe la télé, c'est insupportable",
	"%[1]s vient de citer %[4]d chiffres faux d'affilée", "le niveau du débat sur %[3]s fait peur",
}

var newsDomains = []struct {
	domain string
	media  string // the media account that posts it
	lang   string
}{
	{"lemonde.fr", "quotidien_monde", "fr"}, {"lefigaro.fr", "figaro_direct", "fr"},
	{"liberation.fr", "libe_actu", "fr"}, {"francetvinfo.fr", "franceinfo_live", "fr"},
	{"bfmtv.com", "bfm_direct", "fr"}, {"20minutes.fr", "vingt_minutes", "fr"},
	{"leparisien.fr", "parisien_actu", "fr"}, {"lexpress.fr", "express_actu", "fr"},
	{"france24.com", "france24_en", "en"}, {"theguardian.com", "guardian_world", "en"},
	{"nytimes.com", "nyt_world", "en"}, {"reuters.com", "reuters_eu", "en"},
	{"politico.eu", "politico_eu", "en"}, {"bbc.co.uk", "bbc_world", "en"},
}

var slugWords = []string{
	"presidentielle", "second-tour", "macron", "le-pen", "debat", "sondage", "campagne",
	"programme", "europe", "emploi", "securite", "meeting", "reforme", "abstention",
	"report-des-voix", "legislatives", "analyse", "decryptage", "fact-check", "election",
}

var headlinesFR = []string{
	"Présidentielle : ce qu'il faut retenir de la journée de %[1]s",
	"Second tour : %[1]s et %[2]s s'affrontent sur %[3]s",
	"Sondage : %[1]s creuse l'écart",
	"Décryptage : le programme de %[1]s sur %[3]s",
	"Débat : les chiffres de %[1]s vérifiés",
	"Abstention : la grande inconnue du second tour",
	"%[1]s en meeting, %[2]s en déplacement",
	"Les électeurs de %[2]s face au choix du second tour",
}

var headlinesEN = []string{
	"French election: %[1]s and %[2]s clash over %[3]s",
	"What a %[1]s presidency would mean for %[3]s",
	"France's run-off: everything you need to know",
	"Fact check: %[1]s's claims on %[3]s",
	"%[1]s widens lead over %[2]s in final polls",
}

// Leak operation vocabulary, after the #MacronLeaks dump.
var leakDomains = []string{"pastebin.com", "archive.org", "mega.nz", "anonfile.com"}

var seedTexts = []string{
	"Massive leak of %[1]s campaign documents and e-mails, 9GB: %[2]s #MacronLeaks",
	"Fuite massive : les e-mails de la campagne %[1]s sont en ligne %[2]s #MacronLeaks",
	"Mirror of the %[1]s leak, download before it gets taken down %[2]s #MacronLeaks",
	"Leaked documents from the %[1]s campaign, all here %[2]s #MacronLeaks",
}

// botBase is the near-duplicate the bot network posts, edited a little by each bot.
var botBase = []string{
	"BREAKING the %[1]s campaign e-mails have leaked, thousands of documents, read them before the media hides it %[2]s #MacronLeaks",
	"Les documents secrets de la campagne %[1]s ont fuité, des milliers d'e-mails, lisez avant la censure %[2]s #MacronLeaks",
}

var botEdits = []string{"", "", " RT!", " 🔥", " !!", " Share!", " Partagez !", " #Presidentielle2017", " #7mai", " #FrenchElection", " Wake up France", " 🇫🇷"}

// organicLeakFR/EN are what people say when they hear of the dump: commentary, warnings,
// jokes. %[1]s is a candidate, %[2]s a topic, %[3]d a number; the hashtag is placed by the
// generator, so two people rarely write the same line.
var organicLeakFR = []string{
	"des documents de la campagne %[1]s circulent, attention aux faux mélangés aux vrais",
	"la commission électorale demande de ne pas relayer ces documents",
	"une fuite à quelques heures de la fin de la campagne, comme par hasard",
	"qui a lu ces e-mails ? on dirait surtout des échanges banals sur %[2]s",
	"je ne relaierai pas ces documents volés, point",
	"pile avant la période de réserve, personne ne peut répondre",
	"%[3]d Go de documents et personne n'a rien vérifié",
	"les mêmes comptes anglophones partagent tous le même lien depuis une heure",
	"ça sent l'opération de déstabilisation, comme aux États-Unis en 2016",
	"rien sur %[2]s dans ces fichiers, beaucoup de bruit pour rien",
	"l'équipe %[1]s parle de faux documents mêlés aux vrais",
	"quelqu'un peut vérifier l'origine de ces fichiers avant de crier au scandale",
}

var organicLeakEN = []string{
	"so there's a dump of %[1]s campaign emails now?",
	"be careful with these documents, fakes are mixed in",
	"the timing is no accident, right before the blackout",
	"%[3]d GB of files and the same accounts pushing the link",
	"looks like the 2016 playbook again, now in France",
	"nothing about %[2]s in there as far as I can see",
}

var firstNames = []string{
	"marie", "julien", "camille", "thomas", "sophie", "nicolas", "lea", "antoine", "chloe",
	"pierre", "manon", "lucas", "emma", "hugo", "sarah", "paul", "ines", "louis", "clara",
	"maxime", "jeanne", "alex", "sam", "chris", "kate", "john", "anna", "mike", "laura",
	"david", "elena", "youssef", "fatima", "karim", "nadia", "olivier", "isabelle", "yann",
}

var lastNames = []string{
	"martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand", "leroy",
	"moreau", "simon", "laurent", "lefebvre", "michel", "garcia", "david", "bertrand", "roux",
	"vincent", "fournier", "morel", "girard", "andre", "mercier", "dupont", "lambert", "smith",
	"jones", "brown", "miller", "wilson", "taylor", "benali", "nguyen", "costa", "muller",
}

var botFirst = []string{"Patriot", "Liberty", "Deplorable", "America", "TruthSeeker", "Red", "Eagle", "Freedom", "Nationalist", "Awake", "Francais", "Resist"}

var hubHandle = "le_courrier_patriote"
var hubDomain = "lecourrierpatriote.fr"

var hubTexts = []string{
	"%[1]s et %[3]s : ce que les médias vous cachent %[2]s",
	"EXCLUSIF : le vrai programme de %[1]s sur %[3]s %[2]s",
	"%[1]s, l'homme du système, encore pris en flagrant délit sur %[3]s %[2]s",
	"Réveillez-vous : %[3]s, la grande trahison de %[1]s %[2]s",
	"%[1]s veut sacrifier %[3]s, lisez %[2]s",
}
