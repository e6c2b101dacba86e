window.YTD.tweets.part0 = [
  {
    "tweet": {
      "edit_info": {
        "initial": {
          "editTweetIds": [
            "1590000000000000001"
          ],
          "editableUntil": "2022-11-07T19:00:00.000Z",
          "editsRemaining": "5",
          "isEditEligible": true
        }
      },
      "retweeted": false,
      "source": "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities": {
        "hashtags": [
          {
            "text": "Midterms",
            "indices": [
              "0",
              "9"
            ]
          }
        ],
        "symbols": [],
        "user_mentions": [],
        "urls": []
      },
      "display_text_range": [
        "0",
        "40"
      ],
      "favorite_count": "3",
      "id_str": "1590000000000000001",
      "truncated": false,
      "retweet_count": "1",
      "id": "1590000000000000001",
      "created_at": "Mon Nov 07 18:00:00 +0000 2022",
      "favorited": false,
      "full_text": "#Midterms vote tomorrow, polls open at 6",
      "lang": "en"
    }
  },
  {
    "tweet": {
      "retweeted": false,
      "entities": {
        "hashtags": [],
        "symbols": [],
        "user_mentions": [
          {
            "name": "Other",
            "screen_name": "other",
            "indices": [
              "3",
              "9"
            ],
            "id_str": "42",
            "id": "42"
          }
        ],
        "urls": []
      },
      "display_text_range": [
        "0",
        "60"
      ],
      "favorite_count": "0",
      "id_str": "1590000000000000002",
      "truncated": false,
      "retweet_count": "0",
      "id": "1590000000000000002",
      "created_at": "Mon Nov 07 18:05:00 +0000 2022",
      "favorited": false,
      "full_text": "RT @other: the leak is real, read it all",
      "lang": "en"
    }
  }
]