"""Sample texts from a real explainer (Kyiv Post, 2023), shared by renderer and ingestion tests."""

from __future__ import annotations

POW_EXPLAINER_TITLE = "EXPLAINED: Why Russia Doesn't Want Its POWs Back"

# The article part of the explainer page, as a reader would see it, paragraph by paragraph.
POW_EXPLAINER_PARAGRAPHS = (
    "The Kremlin appears to be employing a deliberate tactic of abandoning its own troops to "
    "avoid domestic embarrassment as well as sow discord in Ukrainian society.",
    "For nearly four months now, there have been no prisoner swaps between Ukraine and Russia, "
    "the last one taking place on August 7 during which 22 Ukrainian soldiers were returned "
    "home.",
    "But since then, thousands of Ukrainian POWs have been languishing in Russian captivity, "
    "while rising rates of desertions mean the number of Russian POWs in Ukrainian captivity "
    "continues to increase.",
    "Ukraine says the stalling of prisoner swaps is due to obstruction on the part of Russia and "
    "Russian POWs interviewed by Kyiv Post said they have been abandoned by the Kremlin.",
    "So why is Russia not doing anything to get its own men back?",
    "In this video we look at the current situation with POW swaps, possible reasons for "
    "Russia’s reluctance to take their men back, what Russian POWs say about their predicament "
    "and Ukraine’s response.",
    "More on this topic...",
    "As Russia’s 21-month war in Ukraine drags on, reports are appearing that the numbers of its "
    "mobilized soldiers seeking to desert are surging.",
    "On Tuesday the Moscow Times quoted the Georgian-based group Idite Lesom that aids troops "
    "attempting to leave Putin’s army, saying it had experienced an 89 percent increase in "
    "requests for assistance over the past few months.",
    "The group’s name translates literally from Russian to “go through the forest,” although "
    "among troops it is more often used as a curse roughly equivalent to “get lost” or even “go "
    "f*** yourself.”",
    "Grigory Sverdlin, founder and leader of the group said that between June and August it had "
    "received 305 requests for help but between September and November this number had almost "
    "doubled.",
    "Read the full report here.",
)
