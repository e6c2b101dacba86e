package scenario

import "github.com/leakwatch/leakwatch/analytics/entities"

// Candidates are the 2017 candidates the generated campaign talks about, as the entity
// extractor wants them: the demo configures extraction with them, so the volume per
// candidate has lines. A real deployment lists its own in the config file.
func Candidates() []entities.Candidate {
	return []entities.Candidate{
		{ID: "macron", Names: []string{"Emmanuel Macron", "Macron"}, Handles: []string{"EmmanuelMacron"}, Hashtags: []string{"EnMarche", "JeVoteMacron"}},
		{ID: "lepen", Names: []string{"Marine Le Pen", "Le Pen"}, Handles: []string{"MLP_officiel"}, Hashtags: []string{"Marine2017", "AuNomDuPeuple", "FN"}},
		{ID: "melenchon", Names: []string{"Jean-Luc Mélenchon", "Mélenchon"}, Handles: []string{"JLMelenchon"}, Hashtags: []string{"FranceInsoumise", "JLM2017"}},
		{ID: "fillon", Names: []string{"François Fillon", "Fillon"}, Handles: []string{"FrancoisFillon"}, Hashtags: []string{"Fillon2017"}},
		{ID: "hamon", Names: []string{"Benoît Hamon", "Hamon"}, Handles: []string{"benoithamon"}, Hashtags: []string{"Hamon2017"}},
	}
}
